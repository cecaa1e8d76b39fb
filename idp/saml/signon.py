"""Single sign-on for a SAML service provider: which registered provider sent a request, where its
answer may go, the NameID a person has there, and the Response that signs them on.

The browser steps (login, whom the person acts for, consent) are sso.steps', as for OIDC and CAS;
the person joins the SSO session as a participant whose `ticket` is the assertion's SessionIndex
and whose `subject` the NameID — what a LogoutRequest names later."""

import secrets

from django.db import transaction

from idp.accounts import services as account_services
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import crypto
from idp.saml import messages
from idp.saml.models import ServiceProvider
from idp.saml.xml import NAMEID_PERSISTENT, NAMEID_TRANSIENT, NAMEID_UNSPECIFIED
from idp.sso import claims, clients, sessions


class NameIdRefused(ValueError):
    """The service provider asked for a NameID format the platform does not give."""


def _provider(key: tuple, **where) -> ServiceProvider | None:
    """The active business system's provider registration, kept with the registered clients and
    forgotten with them whenever any registration changes."""
    return clients.cached(("saml", *key), lambda: ServiceProvider.objects.select_related("client__system")
                          .filter(client__system__is_active=True, **where).first())


def provider_for(entity_id: str) -> ServiceProvider | None:
    if not entity_id or len(entity_id) > 500:
        return None
    return _provider(("entity", entity_id), entity_id=entity_id)


def provider_by_pk(pk) -> ServiceProvider | None:
    return _provider(("pk", pk), pk=pk) if isinstance(pk, int) else None


def provider_by_code(code: str) -> ServiceProvider | None:
    return _provider(("code", code), client__system__code=code)


def acs_for(provider: ServiceProvider, url: str, index: int | None) -> str | None:
    """Where the answer goes: the URL the request named if it is registered (exactly), the one
    with the named index, else the default — None when the request names one not registered."""
    registered = provider.acs
    if url:
        return url if any(endpoint["location"] == url for endpoint in registered) else None
    if index is not None:
        return next((e["location"] for e in registered if e["index"] == index), None)
    default = next((e for e in registered if e["is_default"]), None) or min(registered, key=lambda e: e["index"])
    return default["location"]


def name_id_for(provider: ServiceProvider, who, requested_format: str) -> tuple[str, str]:
    """(NameID, its Format). Persistent: the same for a person at one provider every time and
    different at each provider (a keyed blind index of the account, never its id). Transient:
    new at every sign-on; it starts with "_", which a persistent one (hex) never does."""
    if requested_format in ("", NAMEID_PERSISTENT, NAMEID_UNSPECIFIED):
        return crypto.identifier("saml:" + provider.entity_id, str(who.pk))[:32], NAMEID_PERSISTENT
    if requested_format == NAMEID_TRANSIENT:
        return "_" + secrets.token_hex(16), NAMEID_TRANSIENT
    # E-mail addresses are not verified by the platform, so no SP may rely on one as a NameID.
    raise NameIdRefused(requested_format)


def name_id_format(name_id: str) -> str:
    return NAMEID_TRANSIENT if name_id.startswith("_") else NAMEID_PERSISTENT


def attributes(account, acting_for) -> dict:
    """The CAS attributes under their camelCase names (docs/integrators.md's table)."""
    identity = claims.identity_claims(account, acting_for)
    return {name: value for name, value in claims.cas_attributes(identity).items() if "_" not in name}


def sign_on(request, provider: ServiceProvider, *, acs_url: str, in_response_to: str | None, name_id_format: str,
            acting_for, two_factor: bool, ip: str) -> bytes:
    """The Response that signs the request's user on at `provider` (as `acting_for`, or as
    themselves), the participant it makes of the SSO session and the audit record.
    Raises NameIdRefused."""
    account = request.user
    session = sessions.current(request)
    name_id, name_format = name_id_for(provider, acting_for or account, name_id_format)
    subject = messages.Subject(name_id=name_id, name_id_format=name_format,
                               attributes=attributes(account, acting_for), session_index=messages.new_id(),
                               auth_time=session.auth_time, two_factor=two_factor,
                               authority=account_services.login_authority(request))
    document = messages.response(provider, acs_url=acs_url, in_response_to=in_response_to, subject=subject)
    with transaction.atomic():
        sessions.join(session, provider.client, service=acs_url, ticket=subject.session_index, subject=name_id,
                      acting_for=acting_for)
        record(Event.SSO_SIGN_ON, account=account, actor=account, ip=ip, system=provider.client.system.code,
               protocol="saml", acting_for=acting_for.login_name if acting_for else "")
    return document
