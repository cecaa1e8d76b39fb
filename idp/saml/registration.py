"""A SAML business system's registration: its service provider's metadata read and kept
(sso/clients.register calls set_up for protocol "saml", inside its transaction)."""

from dataclasses import asdict

from django.utils.translation import gettext as _

from idp.saml.metadata import SpMetadata, read_sp_metadata
from idp.saml.models import Encryption, ServiceProvider
from idp.saml.xml import MalformedMessage
from idp.sso.clients import RegistrationError, check_uri

SIGN_CHOICES = {"both": (True, True), "response": (True, False), "assertion": (False, True)}


def checked_metadata(client, metadata: bytes | str) -> SpMetadata:
    """The metadata read, its addresses checked and its entity ID not another system's; raises
    RegistrationError."""
    try:
        described = read_sp_metadata(metadata.encode() if isinstance(metadata, str) else metadata)
    except MalformedMessage as exc:
        raise RegistrationError(_("服务提供方元数据无法读取:%(error)s") % {"error": exc}) from None
    for endpoint in [*described.acs, *described.slo]:
        check_uri(endpoint.location)
    if ServiceProvider.objects.filter(entity_id=described.entity_id).exclude(client=client).exists():
        raise RegistrationError(_("实体标识 %(entity)s 已被另一个业务系统使用") % {"entity": described.entity_id})
    return described


def set_up(client, *, metadata: bytes | str | None = None, sign: str | None = None, encryption: str | None = None,
           relay_state: str | None = None) -> ServiceProvider:
    """Read the metadata (required the first time; a new one replaces the old) and the options.
    Options not given keep their value (or the defaults: both signed, AES-256-GCM)."""
    provider = ServiceProvider.objects.filter(client=client).first()
    if metadata is None and provider is None:
        raise RegistrationError(_("SAML 业务系统需要服务提供方元数据(--metadata)"))
    if metadata is not None:
        described = checked_metadata(client, metadata)
        provider = provider or ServiceProvider(client=client)
        provider.entity_id = described.entity_id
        provider.metadata = metadata.decode() if isinstance(metadata, bytes) else metadata
        provider.acs = [asdict(e) for e in described.acs]
        provider.slo = [asdict(e) for e in described.slo]
        provider.signing_certificates = "".join(described.signing_certificates)
        provider.encryption_certificate = described.encryption_certificate
        provider.authn_requests_signed = described.authn_requests_signed
    if sign is not None:
        if sign not in SIGN_CHOICES:
            raise RegistrationError(_("签名方式只能是 both、response 或 assertion"))
        provider.sign_response, provider.sign_assertion = SIGN_CHOICES[sign]
    if encryption is not None:
        if encryption not in Encryption.values:
            raise RegistrationError(_("加密算法只能是 %(choices)s") % {"choices": ", ".join(Encryption.values)})
        provider.encryption = encryption
    if relay_state is not None:
        provider.default_relay_state = relay_state
    provider.save()
    return provider
