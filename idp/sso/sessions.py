"""The SSO session: started by every platform login, joined by each business system that
receives a code or a ticket, ended by logout, a password change or reset, or a disabled account
— which queues a logout notification for every participant (sent by the worker in logout.py).
The `on_…` functions are its reactions to the accounts' and delegation's events (SsoConfig)."""

import secrets
import time
from datetime import UTC, datetime
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from idp.core import events
from idp.core.http import client_ip
from idp.sso.events import SessionEnded
from idp.sso.models import Client, Participant, SsoSession

SESSION_KEY = "sso"  # {"sid", "pk", "account", "auth_time"} of the SSO session, in the platform session
FRESH_LOGIN_KEY = "fresh_login_at"  # when the password was last typed (CAS renew=true)


def _remember(request, session: SsoSession) -> SsoSession:
    request.session[SESSION_KEY] = {"sid": session.sid, "pk": session.pk, "account": session.account_id,
                                    "auth_time": session.auth_time.timestamp()}
    return session


def current_sid(request) -> str | None:
    return (request.session.get(SESSION_KEY) or {}).get("sid")


def _browser(request) -> dict:
    """Where the session is (登录设备): the platform session carrying it, the address, the browser."""
    return {"session_key": request.session.session_key or "", "ip": client_ip(request)[:45],
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300]}


def start(request, account) -> SsoSession:
    """A login: a new SSO session — or, when the same account logs in again in this browser
    (prompt=login, max_age, renew), the same session with a new auth_time."""
    sid = current_sid(request)
    now = timezone.now()
    if sid and SsoSession.objects.filter(sid=sid, account=account, ended_at__isnull=True).update(
            auth_time=now, **_browser(request)):
        return _remember(request, SsoSession.objects.get(sid=sid))
    return _remember(request, SsoSession.objects.create(sid=secrets.token_urlsafe(24), account=account,
                                                        auth_time=now, **_browser(request)))


def current(request) -> SsoSession | None:
    """The open SSO session of this browser's platform login, read from the platform session
    without a query: whatever ends an SSO session (logout, password reset, account lock) also
    ends the platform sessions that carry it."""
    if not request.user.is_authenticated:
        return None
    known = request.session.get(SESSION_KEY)
    if not isinstance(known, dict) or known.get("account") != request.user.pk:
        return start(request, request.user)  # a login from before single sign-on: start one
    return SsoSession(pk=known["pk"], sid=known["sid"], account_id=known["account"],
                      auth_time=datetime.fromtimestamp(known["auth_time"], tz=UTC))


def join(session: SsoSession, client: Client, *, service: str = "", ticket: str = "", subject: str = "",
         acting_for=None) -> None:
    """`subject`: the OIDC `sub` the system was given (one row per subject it saw); `acting_for`:
    the organisation the person entered for (its grant's end logs the system out)."""
    # One INSERT … ON CONFLICT DO NOTHING (the unique constraint), not a look-up and a savepoint.
    Participant.objects.bulk_create([Participant(session=session, client=client, service=service, ticket=ticket,
                                                 subject=subject, acting_for=acting_for)], ignore_conflicts=True)


def end(session: SsoSession, *, reason: str) -> bool:
    """End the session once (concurrent calls: one wins), queue the single logouts, and end the
    platform session that carries it (its browser is signed out at its next request)."""
    from idp.sso import logout  # logout imports keys and claims; keep this module light

    with transaction.atomic():
        won = SsoSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason)
        if not won:
            return False
        logout.queue_for(session)
        events.publish(SessionEnded(session=session))
        session_key = SsoSession.objects.filter(pk=session.pk).values_list("session_key", flat=True).first()
    if session_key:
        import_module(settings.SESSION_ENGINE).SessionStore().delete(session_key)
    return True


def open_sessions(account) -> list[SsoSession]:
    """The account's sessions whose browsers are still signed in (登录设备), the latest first,
    each with the participants it has (the business systems entered)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    found = (SsoSession.objects.filter(account=account, ended_at__isnull=True).order_by("-auth_time")
             .prefetch_related("participants__client__system"))
    return [s for s in found if s.session_key and store.exists(s.session_key)]


def end_by_holder(account, sid: str, *, reason: str = "ended_by_holder") -> bool:
    """The holder ends one of their own sessions (登录设备 → 退出)."""
    session = SsoSession.objects.filter(account=account, sid=sid, ended_at__isnull=True).first()
    return session is not None and end(session, reason=reason)


def leave_for_grant(grant) -> int:
    """A grant ended: the business system of the grant is logged out of every open session in
    which the person entered it for the organisation (their other systems stay signed in)."""
    from idp.sso import logout

    acting = Participant.objects.filter(session__account_id=grant.person_id, session__ended_at__isnull=True,
                                        client__system_id=grant.system_id, acting_for_id=grant.organisation_id)
    with transaction.atomic():
        queued = sum(logout.queue_for(session, participants=acting.filter(session=session))
                     for session in SsoSession.objects.filter(pk__in=acting.values("session_id")))
        acting.delete()
    return queued


def end_for_account(account, *, reason: str, keep_sid: str | None = None) -> int:
    sessions = SsoSession.objects.filter(account=account, ended_at__isnull=True)
    if keep_sid:
        sessions = sessions.exclude(sid=keep_sid)
    return sum(end(s, reason=reason) for s in sessions)


# --- reactions to the accounts' and delegation's events ---

def on_login(event) -> None:
    start(event.request, event.account)
    event.request.session[FRESH_LOGIN_KEY] = time.time()


def on_logout(event) -> None:
    sid = current_sid(event.request)
    session = SsoSession.objects.filter(sid=sid, ended_at__isnull=True).first() if sid else None
    if session is not None:
        end(session, reason="logout")


def on_password_changed(event) -> None:
    """The holder's other browsers are signed out of every business system; this one stays."""
    end_for_account(event.account, reason="password_changed", keep_sid=current_sid(event.request))


def on_credentials_reset(event) -> None:
    end_for_account(event.account, reason="password_reset")


def on_account_disabled(event) -> None:
    end_for_account(event.account, reason="account_locked")


def on_grant_ended(event) -> None:
    leave_for_grant(event.grant)
