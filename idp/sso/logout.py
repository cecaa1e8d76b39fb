"""Single logout: the notifications (OIDC Back-Channel Logout 1.0 logout tokens, CAS SAML
LogoutRequests, and what the protocols above register: SAML 2.0 SOAP LogoutRequests), delivered
by background jobs (core.jobs) so that a slow or dead business system never holds up the user
who logs out.

Each notification is a LogoutDelivery row, written with the logout, and a `deliver` job queued
in the same transaction makes the first attempt at once. Failed attempts are retried with
back-off by `deliver_due`, which runs every minute and also picks up any delivery whose job
was lost. Both lease a row before sending it, so a notification is never sent twice, however
many workers on however many nodes run."""

import html
import json
import logging
import secrets
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from idp.core import jobs
from idp.sso import claims, jws, keys
from idp.sso.models import LogoutDelivery, SsoSession

log = logging.getLogger(__name__)

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
RETRY_DELAYS = [60, 120, 600, 1800, 3600]  # seconds after each failed attempt; then give up
BATCH, TIMEOUT = 5, 5.0  # deliveries claimed at once; seconds per send
SWEEP_SECONDS = 30  # deliver_due claims no new batch after this, well within the job timeout
FINISHED_KEPT_DAYS = 7
RECORD_MARGIN_SECONDS = 5  # an outcome not saved this long before the lease ends is given up


def lease_seconds(limit: int, timeout: float) -> int:
    """A claimed batch is not handed to another worker before this worker can have sent all
    of it (every send may take the whole timeout)."""
    return int(limit * timeout) + 30


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


def _claim(candidates, limit: int, timeout: float) -> list[LogoutDelivery]:
    """Lease due deliveries among `candidates` to this worker (compare-and-set, so two workers
    never share one). Each claimed delivery's next_attempt_at is its lease: the result is saved
    only while the lease is still this worker's."""
    now = timezone.now()
    lease = now + timedelta(seconds=lease_seconds(limit, timeout))
    claimed = []
    due = (candidates.filter(delivered_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now)
           .order_by("next_attempt_at").values_list("pk", "next_attempt_at")[:limit])
    for pk, seen_at in due:
        if LogoutDelivery.objects.filter(pk=pk, next_attempt_at=seen_at, delivered_at__isnull=True).update(
                next_attempt_at=lease):
            claimed.append(pk)
    return list(LogoutDelivery.objects.filter(pk__in=claimed).select_related("client"))


def _send(delivery: LogoutDelivery, timeout: float) -> None:
    if delivery.kind in PROTOCOL_SENDERS:
        return PROTOCOL_SENDERS[delivery.kind](delivery, timeout)
    response = requests.post(delivery.url, data={delivery.form_field: message(delivery)}, timeout=timeout,
                             allow_redirects=False, headers={"Cache-Control": "no-store"})
    if response.status_code >= 300 and not (delivery.kind == LogoutDelivery.Kind.CAS
                                            and response.status_code < 400):
        raise RuntimeError(f"HTTP {response.status_code}")


def _attempt(claimed: list[LogoutDelivery], timeout: float) -> int:
    """Send each claimed delivery once and record the outcome; returns how many were delivered."""
    delivered = 0
    for delivery in claimed:
        lease = delivery.next_attempt_at
        delivery.attempts += 1
        try:
            _send(delivery, timeout)
        except Exception as exc:  # any failure of the remote side is retried
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:255]
            if delivery.attempts > len(RETRY_DELAYS):
                delivery.failed_at = timezone.now()
                log.warning("single logout to %s given up: %s", delivery.url, delivery.last_error)
            else:
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=RETRY_DELAYS[delivery.attempts - 1])
        else:
            delivery.delivered_at = timezone.now()
        if not _record(delivery, lease):  # the lease ran out and another worker took the delivery over
            log.warning("single logout to %s: lease lost, result dropped", delivery.url)
        elif delivery.delivered_at:
            delivered += 1
    return delivered


def _record(delivery: LogoutDelivery, lease) -> bool:
    """Save the attempt's outcome while the lease is still this worker's; False if it was not.
    The business system has been told already: should the database be away for a moment (a
    restart, a failover), keep trying until shortly before the lease ends — giving up sooner
    would let another worker send the notification a second time."""
    fields = ["attempts", "last_error", "failed_at", "next_attempt_at", "delivered_at"]
    while True:
        try:
            return bool(LogoutDelivery.objects.filter(pk=delivery.pk, next_attempt_at=lease, delivered_at__isnull=True)
                        .update(**{name: getattr(delivery, name) for name in fields}))
        except (OperationalError, InterfaceError):
            if timezone.now() > lease - timedelta(seconds=RECORD_MARGIN_SECONDS):
                raise
            if not connection.in_atomic_block:  # a new connection at the next try
                connection.close()
            time.sleep(0.5)


def deliver(pk: int) -> bool:
    """The job queued with each notification: its first attempt. True if delivered."""
    return _attempt(_claim(LogoutDelivery.objects.filter(pk=pk), 1, TIMEOUT), TIMEOUT) == 1


def deliver_due(*, limit: int = BATCH, timeout: float = TIMEOUT) -> int:
    """The periodic job: send what is due, a batch at a time, for up to SWEEP_SECONDS; returns
    how many were delivered."""
    delivered, started = 0, time.monotonic()
    while claimed := _claim(LogoutDelivery.objects.all(), limit, timeout):
        delivered += _attempt(claimed, timeout)
        if time.monotonic() - started > SWEEP_SECONDS:
            break
    return delivered


def purge_finished() -> int:
    """The periodic purge: deliveries sent or given up more than FINISHED_KEPT_DAYS ago."""
    before = timezone.now() - timedelta(days=FINISHED_KEPT_DAYS)
    return jobs.delete_in_batches(LogoutDelivery.objects.filter(Q(delivered_at__lt=before) | Q(failed_at__lt=before)))
