"""Registering a business system with every option — its sign-on client (sso/clients.py) and its
SCIM target (scim.py) — for `manage.py register_business_system` and the operator API alike.
A setting left as None keeps the system's current value (a new system gets the default)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from idp.catalogue.models import BusinessSystem
from idp.provisioning import scim
from idp.sso import clients
from idp.sso.clients import RegistrationError

KINDS = {"natural", "legal"}
ENTRANCE_URL_MAX = BusinessSystem._meta.get_field("entrance_url").max_length


@dataclass
class SystemOptions:
    name: str
    protocol: str
    code: str = ""
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    backchannel_logout_uri: str = ""
    service_pattern: str = ""
    proxy_targets: list[str] = field(default_factory=list)
    metadata: bytes | None = None  # SAML: the service provider's metadata
    saml_sign: str | None = None
    saml_encryption: str | None = None
    relay_state: str | None = None
    public: bool = False
    id_token_alg: str | None = None  # RS256 (default) or ES256
    signing_alg: str | None = None  # SM2: every token of the system
    third_party: bool = False
    entrance_url: str | None = None
    requires_realname: bool | None = None
    kinds: set[str] | None = None
    delegable: bool | None = None
    scim_url: str | None = None
    scim_token: str | None = None
    scim_dry_run: bool = False


def register_system(options: SystemOptions, *, actor=None, ip: str = "") -> clients.Registration:
    """Check the options together, then register; RegistrationError names what is wrong."""
    settings = {}
    if options.kinds is not None:
        if not options.kinds or not options.kinds <= KINDS:
            raise RegistrationError("natural, legal or both", "kinds")
        settings.update(allow_natural="natural" in options.kinds, allow_legal="legal" in options.kinds)
    if options.entrance_url:
        try:
            URLValidator(schemes=["https", "http"])(options.entrance_url)
        except ValidationError:
            raise RegistrationError(f"{options.entrance_url[:80]!r} is not an http(s) URL", "entrance_url") from None
        if len(options.entrance_url) > ENTRANCE_URL_MAX:
            raise RegistrationError(f"at most {ENTRANCE_URL_MAX} characters", "entrance_url")
    for name in ("entrance_url", "requires_realname", "delegable"):
        if getattr(options, name) is not None:
            settings[name] = getattr(options, name)
    if options.signing_alg and options.id_token_alg:
        raise RegistrationError("SM2 signs every token of the system: leave out id_token_alg", "signing_alg")
    if options.signing_alg not in (None, "SM2"):
        raise RegistrationError("only SM2", "signing_alg")
    if options.id_token_alg not in (None, "RS256", "ES256"):
        raise RegistrationError("RS256 or ES256", "id_token_alg")
    if bool(options.scim_url) != bool(options.scim_token):
        raise RegistrationError("goes together with scim_token", "scim_url")
    if options.scim_url:
        try:
            URLValidator(schemes=["https", "http"])(options.scim_url)
        except ValidationError:
            raise RegistrationError(f"{options.scim_url!r} is not an http(s) URL", "scim_url") from None
    protocol_options = {}
    if options.protocol == "saml":
        if options.metadata is not None:
            protocol_options["metadata"] = options.metadata
        protocol_options.update({key: value for key, value in (
            ("sign", options.saml_sign), ("encryption", options.saml_encryption),
            ("relay_state", options.relay_state)) if value is not None})
    registration = clients.register(
        name=options.name, protocol=options.protocol, code=options.code, redirect_uris=options.redirect_uris,
        post_logout_redirect_uris=options.post_logout_redirect_uris,
        backchannel_logout_uri=options.backchannel_logout_uri, service_pattern=options.service_pattern,
        public=options.public, id_token_alg=options.signing_alg or options.id_token_alg or "RS256",
        proxy_targets=options.proxy_targets, first_party=False if options.third_party else None,
        protocol_options=protocol_options, actor=actor, ip=ip, **settings)
    if options.scim_url:
        scim.register(system=registration.system, url=options.scim_url, token=options.scim_token,
                      dry_run=options.scim_dry_run)
    return registration
