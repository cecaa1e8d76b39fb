"""The SSO session: started by every platform login, joined by each business system that
receives a code or a ticket, ended by logout, password reset or an account lock — which
queues a logout notification for every participant (sent by the worker in logout.py)."""

import secrets

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from idp.sso.models import Client, LogoutDelivery, Participant, SsoSession

SESSION_KEY = "sso_sid"
FRESH_LOGIN_KEY = "fresh_login_at"  # when the password was last typed (CAS renew=true)

# Sent with `session` once it has ended; the OIDC provider revokes the session's tokens.
session_ended = Signal()


def start(request, account) -> SsoSession:
    """A login: a new SSO session — or, when the same account logs in again in this browser
    (prompt=login, max_age, renew), the same session with a new auth_time."""
    sid = request.session.get(SESSION_KEY)
    now = timezone.now()
    if sid and SsoSession.objects.filter(sid=sid, account=account, ended_at__isnull=True).update(auth_time=now):
        return SsoSession.objects.get(sid=sid)
    session = SsoSession.objects.create(sid=secrets.token_urlsafe(24), account=account, auth_time=now)
    request.session[SESSION_KEY] = session.sid
    return session


def current(request) -> SsoSession | None:
    """The open SSO session of this browser's platform login."""
    if not request.user.is_authenticated:
        return None
    sid = request.session.get(SESSION_KEY)
    session = SsoSession.objects.filter(sid=sid, ended_at__isnull=True).first() if sid else None
    if session is None or session.account_id != request.user.pk:
        # A login made before single sign-on existed, or a stale key: start afresh.
        session = start(request, request.user)
    return session


def join(session: SsoSession, client: Client, *, service: str = "", ticket: str = "") -> None:
    Participant.objects.get_or_create(session=session, client=client, service=service, ticket=ticket)


def end(session: SsoSession, *, reason: str) -> bool:
    """End the session once (concurrent calls: one wins) and queue the single logouts."""
    from idp.sso import logout  # logout imports keys and claims; keep this module light

    with transaction.atomic():
        won = SsoSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason)
        if not won:
            return False
        logout.queue_for(session)
    session_ended.send(sender=SsoSession, session=session)
    return True


def end_for_account(account, *, reason: str, keep_sid: str | None = None) -> int:
    sessions = SsoSession.objects.filter(account=account, ended_at__isnull=True)
    if keep_sid:
        sessions = sessions.exclude(sid=keep_sid)
    return sum(end(s, reason=reason) for s in sessions)


def pending_deliveries():
    return LogoutDelivery.objects.filter(delivered_at__isnull=True, failed_at__isnull=True)
