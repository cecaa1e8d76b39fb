"""Single logout: the notifications (OIDC Back-Channel Logout 1.0 logout tokens, CAS SAML
LogoutRequests, and what the protocols above register: SAML 2.0 SOAP LogoutRequests), delivered
by background jobs (core.jobs) so that a slow or dead business system never holds up the user
who logs out.

Each notification is a LogoutDelivery row, written with the logout, and a `deliver` job queued
in the same transaction makes the first attempt at once. Failed attempts are retried with
back-off by `deliver_due`, which runs every minute and also picks up any delivery whose job
was lost. Both lease a row before sending it (core/outbox.py), so a notification is never sent
twice, however many workers on however many nodes run."""

import html
import json
import secrets
import time

import requests
from django.conf import settings
from django.utils import timezone

from idp.core import jobs
from idp.core.outbox import Outbox
from idp.sso import claims, jws, keys
from idp.sso.models import LogoutDelivery, SsoSession

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
RETRY_DELAYS = [60, 120, 600, 1800, 3600]  # seconds after each failed attempt; then give up
BATCH, TIMEOUT = 5, 5.0  # deliveries claimed at once; seconds per send
FINISHED_KEPT_DAYS = 7


def logout_token(client, sid: str, sub: str) -> str:
    """Minted when it is sent, not when it is queued: a retry an hour later still carries a
    token a conforming RP accepts (exp two minutes from the send)."""
    now = int(time.time())
    body = {
        "iss": settings.IDP_ISSUER, "aud": client.client_id, "iat": now, "exp": now + 120,
        "jti": secrets.token_urlsafe(16), "sid": sid, "sub": sub, "events": {BACKCHANNEL_EVENT: {}},
    }
    return jws.sign(body, keys.signing_key(client.id_token_alg), typ="logout+jwt")


# Protocols above sso (SAML) notify their own participants: {protocol: deliveries(session,
# participants) -> [LogoutDelivery]} makes the rows, {kind: send(delivery, timeout)} sends one
# (raising on failure, which is retried). Filled from their AppConfig.ready().
PROTOCOL_DELIVERIES: dict = {}
PROTOCOL_SENDERS: dict = {}


def saml_logout_request(ticket: str) -> str:
    issued = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="LR-{secrets.token_hex(16)}" Version="2.0" IssueInstant="{issued}">'
        '<saml:NameID>@NOT_USED@</saml:NameID>'
        f"<samlp:SessionIndex>{html.escape(ticket)}</samlp:SessionIndex>"
        "</samlp:LogoutRequest>"
    )


def queue_for(session: SsoSession, participants=None) -> int:
    """Queue one notification per CAS ticket, and per OIDC client and subject it was given, of
    the session (or of the given participants of it). What is stored is what the message is made
    from when it is sent."""
    now = timezone.now()
    rows, seen, by_protocol = [], set(), {}
    for part in (participants if participants is not None else session.participants).select_related(
            "client__system"):
        client = part.client
        if client.system.protocol in PROTOCOL_DELIVERIES:
            by_protocol.setdefault(client.system.protocol, []).append(part)
        elif part.ticket:
            rows.append(LogoutDelivery(kind=LogoutDelivery.Kind.CAS, client=client, url=part.service,
                                       form_field="logoutRequest", payload=part.ticket, next_attempt_at=now))
        elif client.backchannel_logout_uri and (client.pk, part.subject) not in seen:
            seen.add((client.pk, part.subject))
            subject = part.subject or claims.subject(session.account)
            rows.append(LogoutDelivery(kind=LogoutDelivery.Kind.BACKCHANNEL, client=client,
                                       url=client.backchannel_logout_uri, form_field="logout_token",
                                       payload=json.dumps({"sid": session.sid, "sub": subject}),
                                       next_attempt_at=now))
    for protocol, parts in by_protocol.items():
        rows += PROTOCOL_DELIVERIES[protocol](session, parts)
    for delivery in LogoutDelivery.objects.bulk_create(rows):
        jobs.enqueue("idp.sso.logout.deliver", delivery.pk)
    return len(rows)


def message(delivery: LogoutDelivery) -> str:
    if delivery.kind == LogoutDelivery.Kind.CAS:
        return saml_logout_request(delivery.payload)
    facts = json.loads(delivery.payload)
    return logout_token(delivery.client, facts["sid"], facts["sub"])


def _send(delivery: LogoutDelivery, timeout: float) -> None:
    if delivery.kind in PROTOCOL_SENDERS:
        return PROTOCOL_SENDERS[delivery.kind](delivery, timeout)
    response = requests.post(delivery.url, data={delivery.form_field: message(delivery)}, timeout=timeout,
                             allow_redirects=False, headers={"Cache-Control": "no-store"})
    if response.status_code >= 300 and not (delivery.kind == LogoutDelivery.Kind.CAS
                                            and response.status_code < 400):
        raise RuntimeError(f"HTTP {response.status_code}")


OUTBOX = Outbox(LogoutDelivery, _send, RETRY_DELAYS, "single logout", related=("client",))


def deliver(pk: int) -> bool:
    """The job queued with each notification: its first attempt. True if delivered."""
    return OUTBOX.deliver(pk, TIMEOUT)


def deliver_due(*, limit: int = BATCH, timeout: float = TIMEOUT) -> int:
    """The periodic job: send what is due; returns how many were delivered."""
    return OUTBOX.deliver_due(limit=limit, timeout=timeout)


def purge_finished() -> int:
    """The periodic purge: deliveries sent or given up more than FINISHED_KEPT_DAYS ago."""
    return OUTBOX.purge_finished(FINISHED_KEPT_DAYS)
