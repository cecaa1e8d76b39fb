"""A login through an upstream provider, from the button to the session: the request remembered
in this browser's session (state, nonce, PKCE verifier — each used once), the answer checked
(upstream.py), the account found (linking.py), and a normal platform login begun — the same
SSO session, second factor and notices as a password login, with `amr` ["fed"].

Nothing is signed in until every check passed: a failure leaves the browser as it was."""

import json
import secrets
import time

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from idp.accounts import mfa, mfa_views, services
from idp.accounts.models import Account
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import crypto
from idp.core.http import client_ip
from idp.federation import linking, upstream
from idp.federation.models import IdentityProvider, UpstreamSession
from idp.sso import sessions

STATES = "federation_states"  # {state: {provider, nonce, verifier, kind, next, at}}
PENDING = "federation_pending"  # the upstream's person waiting for the link-or-register choice
LOGIN = "federation_login"  # what the login about to begin needs for its UpstreamSession
STATE_SECONDS = 600
PENDING_SECONDS = 900
KEPT_STATES = 5  # logins begun in other tabs of the browser, at most


def _keep(request, name: str, value: dict) -> None:
    """Kept in the session sealed: it holds what the upstream said (an identity number, the ID
    token), and the session store is no place for those in clear."""
    request.session[name] = crypto.encrypt(json.dumps(value, ensure_ascii=False), aad=f"session.{name}")


def _kept(request, name: str) -> dict | None:
    sealed = request.session.get(name)
    if not isinstance(sealed, str):
        return None
    try:
        return json.loads(crypto.decrypt(sealed, aad=f"session.{name}"))
    except (crypto.UndecryptableError, ValueError):
        return None


def begin(request, provider: IdentityProvider, *, kind: str, next_url: str) -> str:
    """The upstream's authorization URL for this browser's new login."""
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier, challenge = upstream.pkce_pair()
    url = upstream.authorization_url(provider, state=state, nonce=nonce, challenge=challenge,
                                     language=get_language() or "zh-hans")
    kept = request.session.get(STATES) or {}
    kept = dict(sorted(kept.items(), key=lambda item: item[1]["at"])[-(KEPT_STATES - 1):])
    kept[state] = {"provider": provider.code, "nonce": nonce, "verifier": verifier, "kind": kind,
                   "next": next_url, "at": time.time()}
    request.session[STATES] = kept
    return url


def _spend_state(request, provider: IdentityProvider, state: str | None) -> dict:
    kept = request.session.get(STATES) or {}
    remembered = kept.pop(state, None) if isinstance(state, str) else None
    request.session[STATES] = kept
    if (remembered is None or remembered["provider"] != provider.code
            or time.time() - remembered["at"] > STATE_SECONDS):
        raise upstream.UpstreamError(_("登录请求已失效或不是从本浏览器发起的,请重新登录"), code="state")
    return remembered


def remembered_next(request, state: str | None) -> tuple[str, str]:
    """(kind, next) of a login begun in this browser, for the failure page's links."""
    remembered = (request.session.get(STATES) or {}).get(state) if isinstance(state, str) else None
    return (remembered["kind"], remembered["next"]) if remembered else ("", "")


def finish(request, provider: IdentityProvider, params) -> tuple[str, dict]:
    """The upstream's answer at the callback → (decision, context): `linking.LINKED`/`MATCHED`
    with the account, or `linking.CHOOSE` with the person kept in the session for the choice."""
    remembered = _spend_state(request, provider, params.get("state"))
    if error := params.get("error"):
        denied = error == "access_denied"
        raise upstream.failed(provider, _("您已取消在 %(name)s 的登录") if denied else upstream.REJECTED,
                              "denied" if denied else "error", str(error)[:100])
    upstream.check_response_issuer(provider, params.get("iss"))
    code = params.get("code")
    if not isinstance(code, str) or not code:
        raise upstream.UpstreamError(upstream.REJECTED % {"name": provider.name}, code="code")
    tokens = upstream.exchange(provider, code=code, verifier=remembered["verifier"])
    claims = upstream.verify_id_token(provider, tokens["id_token"], nonce=remembered["nonce"])
    claims = {**upstream.userinfo(provider, access_token=tokens.get("access_token", ""), subject=claims["sub"]),
              **claims}
    asserted = linking.read_claims(provider, claims, kind=remembered["kind"])
    decision, account = linking.decide(provider, asserted)
    login = {"provider": provider.code, "subject": asserted.subject, "sid": str(claims.get("sid", ""))[:255],
             "id_token": tokens["id_token"], "next": remembered["next"]}
    if decision == linking.CHOOSE:
        _keep(request, PENDING, {**asserted.as_dict(), **login, "at": time.time()})
        return decision, {}
    if decision == linking.MATCHED:
        linking.link(provider=provider, subject=asserted.subject, account=account, how=linking.BY_NUMBER,
                     ip=client_ip(request))
        linking.tell_of_link(account, provider)
    return decision, {"account": account, "login": login}


def pending(request) -> tuple[IdentityProvider | None, dict | None]:
    """The person waiting for the link-or-register choice, and their upstream."""
    kept = _kept(request, PENDING)
    if not isinstance(kept, dict) or time.time() - kept.get("at", 0) > PENDING_SECONDS:
        return None, None
    provider = IdentityProvider.objects.filter(pk=kept["provider_id"], enabled=True).first()
    return (provider, kept) if provider else (None, None)


def asserted_of(kept: dict) -> linking.Asserted:
    fields = linking.Asserted.__dataclass_fields__
    return linking.Asserted(**{name: kept[name] for name in fields})


def login_of(kept: dict) -> dict:
    return {key: kept[key] for key in ("provider", "subject", "sid", "id_token", "next")}


def sign_in(request, account: Account, login: dict, *, methods=("fed",)):
    """Begin the platform login (or its second factor first): the response to send."""
    if not account.is_active:
        raise upstream.UpstreamError(_("该账号已停用,请联系管理员"), code="inactive")
    request.session.pop(PENDING, None)
    _keep(request, LOGIN, {**{k: login[k] for k in ("provider", "subject", "sid", "id_token")},
                           "account": account.pk})
    linking.touch(IdentityProvider.objects.get(code=login["provider"]), login["subject"])
    record(Event.LOGIN, account=account, actor=account, ip=client_ip(request), method="federation",
           provider=login["provider"], agent=request.META.get("HTTP_USER_AGENT", "")[:200])
    if mfa.needs_second_factor(account):
        return mfa_views.begin(request, account, login["next"], methods=methods)
    services.log_in(request, account, backend=mfa_views.BACKEND, methods=methods)
    return None


def on_login(event) -> None:
    """LoggedIn: a login begun by an upstream keeps its sid and ID token beside the SSO session."""
    request = event.request
    login = _kept(request, LOGIN)
    request.session.pop(LOGIN, None)
    if not isinstance(login, dict) or login.get("account") != event.account.pk:
        return
    provider = IdentityProvider.objects.filter(code=login["provider"]).first()
    session = sessions.current(request)
    if provider is None or session is None:
        return
    request.session[services.LOGIN_AUTHORITY_KEY] = provider.issuer
    UpstreamSession.objects.update_or_create(
        sso_session_id=session.pk,
        defaults={"provider": provider, "subject": login["subject"], "sid": login["sid"],
                  "id_token": login["id_token"]})


def upstream_logout_url(request) -> str | None:
    """Before our logout: the upstream's end-session address when this session began there."""
    sid = sessions.current_sid(request)
    found = (UpstreamSession.objects.filter(sso_session__sid=sid).select_related("provider").first()
             if sid else None)
    if found is None:
        return None
    return upstream.end_session_url(found.provider, id_token=found.id_token, after=f"{settings.IDP_ISSUER}/login/")


def logged_out_upstream(provider: IdentityProvider, logout_token: str) -> int:
    """The upstream's back-channel logout: end our sessions it began (by `sid`, or every one of
    the `sub` when it names no session). Returns how many ended."""
    claims = upstream.verify_logout_token(provider, logout_token)
    found = UpstreamSession.objects.filter(provider=provider, sso_session__ended_at__isnull=True)
    found = found.filter(sid=claims["sid"]) if isinstance(claims.get("sid"), str) else found.filter(
        subject=claims["sub"])
    if isinstance(claims.get("sid"), str) and isinstance(claims.get("sub"), str):
        found = found.filter(subject=claims["sub"])
    return sum(sessions.end(u.sso_session, reason="upstream_logout") for u in found.select_related("sso_session"))
