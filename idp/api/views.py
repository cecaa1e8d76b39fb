"""The operator API, /api/admin/v1/ (CONTRACT.md): business systems, accounts, the review queues and
the audit log for operators' own tools, described by the OpenAPI 3 document that django-ninja
generates from these functions (/api/admin/v1/openapi.json, kept in docs/openapi.json and compared
in CI).

django-ninja rather than DRF + drf-spectacular: the request and response shapes are the pydantic
models below, so the schema cannot drift from the code, and it is one small package on the pydantic
the SCIM libraries bring already.

Every call needs a bearer token (tokens.py) holding the scope the operation names, within its rate
(tokens.RATE calls a minute). Views are thin: each write goes through the service the pages use —
registration checks, the 安全管理员's rule for whose account may be changed (accounts/roles.py), the
audit log, where the actor is the token (`via: api:<name>`).
"""

from datetime import datetime

from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import HttpBearer

from idp.accounts import mfa
from idp.accounts import services as accounts
from idp.accounts.models import Account, AccountKind, TotpDevice
from idp.api import tokens
from idp.api.models import ApiToken, Scope
from idp.audit import selectors as audit_selectors
from idp.audit.log import record
from idp.audit.models import Event
from idp.catalogue.models import BusinessSystem
from idp.core.http import client_ip
from idp.provisioning.registration import SystemOptions, register_system
from idp.realname import selectors as realname_selectors
from idp.recovery import selectors as recovery_selectors
from idp.sso import clients
from idp.sso.clients import RegistrationError
from idp.sso.models import Client


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token)
        if found is not None and not tokens.within_rate(found):
            raise HttpError(429, "rate limit: at most 600 calls a minute per token")
        return found


api = NinjaAPI(title="统一身份认证平台 运维接口 (operator API)", version="1", urls_namespace="operator-api",
               auth=BearerToken(), docs_url=None,
               description="Scoped bearer tokens from `manage.py create_api_token --name N --scope S…`.")


def need(request: HttpRequest, scope: Scope) -> ApiToken:
    if scope.value not in request.auth.scopes:
        raise HttpError(403, f"this token lacks the scope {scope.value}")
    return request.auth


def via(request: HttpRequest) -> str:
    return f"api:{request.auth.name}"


class Page(LimitOffsetPagination):
    """`limit` (1–500, 100 by default) and `offset`, bounded so that no value reaches the database
    as a number it cannot take."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=10**9)


class Problem(Schema):
    detail: str
    field: str | None = None


# --- business systems -----------------------------------------------------------------------------

class SystemOut(Schema):
    code: str
    name: str
    protocol: str
    is_active: bool
    requires_realname: bool
    allow_natural: bool
    allow_legal: bool
    delegable: bool
    entrance_url: str
    scim_url: str | None = None

    @staticmethod
    def resolve_scim_url(system):
        scim = getattr(system, "scim", None)
        return scim.url if scim else None


SYSTEMS = BusinessSystem.objects.select_related("scim").order_by("code")


class SystemIn(Schema):
    """Every option of `manage.py register_business_system`; a setting left out keeps its value."""

    name: str = Field(max_length=100)
    protocol: str = Field(pattern="^(oidc|cas|saml)$")
    code: str = Field("", max_length=40)
    redirect_uris: list[str] = []
    post_logout_redirect_uris: list[str] = []
    backchannel_logout_uri: str = ""
    service: str = ""
    proxy_to: list[str] = []
    metadata: str | None = Field(None, description="SAML: the service provider's metadata (XML)")
    saml_sign: str | None = Field(None, pattern="^(both|response|assertion)$")
    saml_encryption: str | None = Field(None, pattern="^(aes256-gcm|aes128-cbc)$")
    relay_state: str | None = None
    public: bool = False
    id_token_alg: str | None = Field(None, pattern="^(RS256|ES256)$")
    signing_alg: str | None = Field(None, pattern="^SM2$")
    third_party: bool = False
    entrance_url: str | None = Field(None, max_length=200)
    requires_realname: bool | None = None
    kinds: list[str] | None = None
    delegable: bool | None = None
    scim_url: str | None = None
    scim_token: str | None = None
    scim_dry_run: bool = False


class RegistrationOut(Schema):
    code: str
    client_id: str
    client_secret: str | None = Field(None, description="shown once")


class SecretOut(Schema):
    client_id: str
    client_secret: str


class ActiveIn(Schema):
    is_active: bool


@api.get("/systems", response=list[SystemOut], tags=["business systems"])
@paginate(Page)
def list_systems(request):
    need(request, Scope.SYSTEMS_READ)
    return SYSTEMS.all()


@api.get("/systems/{code}", response=SystemOut, tags=["business systems"])
def get_system(request, code: str):
    need(request, Scope.SYSTEMS_READ)
    return get_object_or_404(SYSTEMS, code=code)


@api.post("/systems", response={201: RegistrationOut, 400: Problem}, tags=["business systems"])
def register(request, body: SystemIn):
    """Register a business system, or re-key an existing one (same code)."""
    need(request, Scope.SYSTEMS_WRITE)
    options = SystemOptions(
        name=body.name, protocol=body.protocol, code=body.code, redirect_uris=body.redirect_uris,
        post_logout_redirect_uris=body.post_logout_redirect_uris, backchannel_logout_uri=body.backchannel_logout_uri,
        service_pattern=body.service, proxy_targets=body.proxy_to,
        metadata=body.metadata.encode() if body.metadata is not None else None, saml_sign=body.saml_sign,
        saml_encryption=body.saml_encryption, relay_state=body.relay_state, public=body.public,
        id_token_alg=body.id_token_alg, signing_alg=body.signing_alg, third_party=body.third_party,
        entrance_url=body.entrance_url, requires_realname=body.requires_realname,
        kinds=set(body.kinds) if body.kinds is not None else None, delegable=body.delegable,
        scim_url=body.scim_url, scim_token=body.scim_token, scim_dry_run=body.scim_dry_run)
    try:
        registration = register_system(options, ip=client_ip(request))
    except (RegistrationError, ValueError) as exc:
        return Status(400, Problem(detail=str(exc), field=getattr(exc, "field", None)))
    record(Event.ADMIN_ACTION, actor=None, ip=client_ip(request), via=via(request), action="register_system",
           system=registration.system.code)
    return Status(201, RegistrationOut(code=registration.system.code, client_id=registration.client.client_id,
                                       client_secret=registration.secret))


@api.post("/systems/{code}/secret", response={200: SecretOut, 400: Problem}, tags=["business systems"])
def rotate_secret(request, code: str):
    """A new client_secret; the old one stops working now."""
    need(request, Scope.SYSTEMS_WRITE)
    client = get_object_or_404(Client.objects.select_related("system"), system__code=code)
    if not client.secret_digest:
        return Status(400, Problem(detail="this system has no client secret (public client or SAML)"))
    secret = clients.issue_secret(client, ip=client_ip(request))
    record(Event.ADMIN_ACTION, actor=None, ip=client_ip(request), via=via(request), action="rotate_secret",
           system=code)
    return SecretOut(client_id=client.client_id, client_secret=secret)


@api.put("/systems/{code}/active", response=SystemOut, tags=["business systems"])
def set_system_active(request, code: str, body: ActiveIn):
    """Disable (no sign-on to it, no entry from 在线办事) or enable a business system."""
    need(request, Scope.SYSTEMS_WRITE)
    system = get_object_or_404(SYSTEMS, code=code)
    if system.is_active != body.is_active:
        system.is_active = body.is_active
        system.save(update_fields=["is_active"])  # the client caches are emptied on save (sso/apps.py)
        record(Event.ADMIN_ACTION, actor=None, ip=client_ip(request), via=via(request),
               action="enable_system" if body.is_active else "disable_system", system=code)
    return system


# --- accounts -------------------------------------------------------------------------------------

class AccountOut(Schema):
    id: int
    login_name: str
    kind: str
    name: str
    is_active: bool
    realname_status: str
    phone: str = Field(description="masked")
    is_staff: bool
    admin_role: str
    second_factor: bool
    passkeys: int
    date_joined: datetime
    last_login: datetime | None

    @staticmethod
    def resolve_name(account):
        return account.display_name

    @staticmethod
    def resolve_phone(account):
        return account.masked_phone

    @staticmethod
    def resolve_second_factor(account):
        return mfa.enrolled(account)  # read with the account (ACCOUNTS' has_totp)

    @staticmethod
    def resolve_passkeys(account):
        return account.passkey_count


# A page of accounts in one query: the second factor and the passkeys counted with them.
ACCOUNTS = (Account.objects.select_related("person", "organisation")
            .annotate(has_totp=Exists(TotpDevice.objects.filter(account=OuterRef("pk"))),
                      passkey_count=Count("passkeys")).order_by("pk"))


class AccountFilter(Schema):
    login_name: str | None = Field(None, description="exact, any case")
    kind: AccountKind | None = None
    is_active: bool | None = None


def _managed(request, pk: int) -> Account:
    """An account the token may change: what a 安全管理员 may (accounts/roles.py) — none holding an
    administrator role or all rights."""
    account = get_object_or_404(ACCOUNTS, pk=pk)
    if account.admin_role or account.is_superuser:
        raise HttpError(403, "administrators' accounts are changed on a node's shell (manage.py admin_role)")
    return account


@api.get("/accounts", response=list[AccountOut], tags=["accounts"])
@paginate(Page)
def list_accounts(request, filters: Query[AccountFilter]):
    need(request, Scope.ACCOUNTS_READ)
    found = ACCOUNTS.all()
    if filters.login_name:
        found = found.filter(login_name__lower=filters.login_name.lower())
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.is_active is not None:
        found = found.filter(is_active=filters.is_active)
    return found


@api.get("/accounts/{int:pk}", response=AccountOut, tags=["accounts"])
def get_account(request, pk: int):
    need(request, Scope.ACCOUNTS_READ)
    return get_object_or_404(ACCOUNTS, pk=pk)


@api.put("/accounts/{int:pk}/active", response=AccountOut, tags=["accounts"])
def set_account_active(request, pk: int, body: ActiveIn):
    """Disable (signed out of everything at once) or enable an account."""
    need(request, Scope.ACCOUNTS_WRITE)
    account = _managed(request, pk)
    accounts.set_active(account=account, active=body.is_active, actor=None, ip=client_ip(request),
                        reason=via(request))
    return account


@api.delete("/accounts/{int:pk}/second-factor", response=AccountOut, tags=["accounts"])
def reset_second_factor(request, pk: int):
    """Remove the authenticator app, its recovery codes and the passkeys (a person who lost them)."""
    need(request, Scope.ACCOUNTS_WRITE)
    account = _managed(request, pk)
    accounts.reset_second_factor(account=account, actor=None, ip=client_ip(request), via=via(request))
    return get_object_or_404(ACCOUNTS, pk=pk)  # as it is now: none left


# --- review queues and the audit log ---------------------------------------------------------------

class QueueItem(Schema):
    queue: str
    id: int
    account_id: int | None
    kind: str
    submitted_at: datetime


@api.get("/reviews", response=list[QueueItem], tags=["reviews"])
@paginate(Page)
def review_queues(request):
    """What waits for a reviewer: real-name submissions and appeals, oldest first — the oldest 1,000
    of each of the four queues (the console shows whole queues)."""
    need(request, Scope.REVIEWS_READ)
    items = [QueueItem(queue="realname", id=s.pk, account_id=s.account_id, kind=s.account.kind,
                       submitted_at=s.submitted_at) for kind in AccountKind.values
             for s in realname_selectors.queue(kind)[:1000]]
    items += [QueueItem(queue="appeal", id=a.pk, account_id=a.account_id, kind=a.kind, submitted_at=a.submitted_at)
              for kind in ("natural", "legal") for a in recovery_selectors.queue(kind)[:1000]]
    return sorted(items, key=lambda item: item.submitted_at)


class AuditOut(Schema):
    id: int
    at: datetime
    event: str
    account: str | None
    actor: str | None
    login_name: str
    ip: str
    detail: dict

    @staticmethod
    def resolve_account(entry):
        return entry.account.login_name if entry.account else None

    @staticmethod
    def resolve_actor(entry):
        return entry.actor.login_name if entry.actor else None


class AuditFilter(Schema):
    account: str = Field("", description="login name, any case: entries about or by it")
    event: str = ""
    since: datetime | None = None
    until: datetime | None = None


@api.get("/audit", response={200: list[AuditOut], 400: Problem}, tags=["audit"])
@paginate(Page)
def audit(request, filters: Query[AuditFilter]):
    """The audit log, newest first (read only: no call deletes or changes an entry)."""
    need(request, Scope.AUDIT_READ)
    if filters.event and filters.event not in Event.values:
        raise HttpError(400, f"unknown event {filters.event!r}")
    return audit_selectors.search(login_name=filters.account, event=filters.event, since=filters.since,
                                  until=filters.until)
