"""Registering an upstream provider (the command and 系统管理 share it): its discovery document
is fetched first, so a wrong issuer is refused at once rather than at the first login."""

from django.db import transaction

from idp.audit.log import record
from idp.audit.models import Event
from idp.core.errors import Refused
from idp.federation import upstream
from idp.federation.models import IdentityProvider
from idp.identifiers.documents import DOCUMENT_TYPES


class RegistrationError(Refused):
    pass


def check(provider: IdentityProvider) -> list[str]:
    """RegistrationError when the upstream cannot be used as registered; warnings (returned) when
    it cannot be reached now — its discovery document is then fetched at the first login."""
    if provider.default_id_type not in DOCUMENT_TYPES:
        raise RegistrationError(f"unknown document type {provider.default_id_type!r}", "default_id_type")
    if "openid" not in provider.scopes.split():
        raise RegistrationError("the scopes must include openid", "scopes")
    try:
        upstream.forget(provider)
        document = upstream.metadata(provider)
    except upstream.UpstreamError as exc:
        if exc.code == "unavailable":
            return [f"{provider.issuer} cannot be reached now: its discovery document is fetched at the first login"]
        raise RegistrationError(f"{provider.issuer}: its discovery document names another issuer",
                                "issuer") from None
    if "code" not in document.get("response_types_supported", ["code"]):
        raise RegistrationError("the upstream does not offer the authorization code flow", "issuer")
    return []


def register(*, code: str, fields: dict, fetch: bool = True) -> tuple[IdentityProvider, bool, list[str]]:
    """Create the upstream `code`, or change the fields given of an existing one: the provider,
    whether it is new, and check()'s warnings."""
    with transaction.atomic():
        provider = IdentityProvider.objects.select_for_update().filter(code=code).first()
        created = provider is None
        provider = provider or IdentityProvider(code=code)
        for name, value in fields.items():
            setattr(provider, name, value)
        warnings = check(provider) if fetch else []
        provider.full_clean()
        provider.save()
        record(Event.FEDERATION_REGISTERED, provider=code, issuer=provider.issuer, trusted=provider.trusted,
               created=created)
    return provider, created, warnings
