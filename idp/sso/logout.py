"""Single logout: the notifications (OIDC Back-Channel Logout 1.0 logout tokens, CAS SAML
LogoutRequests) and the worker that delivers them with retries, so that a slow or dead
business system never holds up the user who logs out."""

import html
import logging
import secrets
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from joserfc import jwt

from idp.sso import claims, keys, store
from idp.sso.models import LogoutDelivery, SsoSession

log = logging.getLogger(__name__)

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
RETRY_DELAYS = [5, 30, 120, 600, 3600]  # seconds after each failed attempt; then give up
LEASE_SECONDS = 60  # a claimed delivery is not handed to another worker for this long


def logout_token(client, session: SsoSession) -> str:
    now = int(time.time())
    body = {
        "iss": settings.IDP_ISSUER, "aud": client.client_id, "iat": now, "exp": now + 120,
        "jti": secrets.token_urlsafe(16), "sid": session.sid, "sub": claims.subject(session.account),
        "events": {BACKCHANNEL_EVENT: {}},
    }
    key = keys.signing_key(client.id_token_alg)
    return jwt.encode({"alg": client.id_token_alg, "kid": key.kid, "typ": "logout+jwt"}, body, key,
                      algorithms=[client.id_token_alg])


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


def queue_for(session: SsoSession) -> int:
    """Queue one notification per OIDC client and per CAS ticket of the session."""
    now = timezone.now()
    rows, seen = [], set()
    for part in session.participants.select_related("client"):
        client = part.client
        if part.ticket:
            rows.append(LogoutDelivery(kind=LogoutDelivery.Kind.CAS, client=client, url=part.service,
                                       form_field="logoutRequest", payload=saml_logout_request(part.ticket),
                                       next_attempt_at=now))
        elif client.backchannel_logout_uri and client.pk not in seen:
            seen.add(client.pk)
            rows.append(LogoutDelivery(kind=LogoutDelivery.Kind.BACKCHANNEL, client=client,
                                       url=client.backchannel_logout_uri, form_field="logout_token",
                                       payload=logout_token(client, session), next_attempt_at=now))
    LogoutDelivery.objects.bulk_create(rows)
    return len(rows)


def _claim(limit: int) -> list[LogoutDelivery]:
    """Lease due deliveries to this worker (compare-and-set, so two workers never share one)."""
    now = timezone.now()
    claimed = []
    due = (LogoutDelivery.objects.filter(delivered_at__isnull=True, failed_at__isnull=True,
                                         next_attempt_at__lte=now)
           .order_by("next_attempt_at").values_list("pk", "next_attempt_at")[:limit])
    for pk, seen_at in due:
        if LogoutDelivery.objects.filter(pk=pk, next_attempt_at=seen_at, delivered_at__isnull=True).update(
                next_attempt_at=now + timedelta(seconds=LEASE_SECONDS)):
            claimed.append(pk)
    return list(LogoutDelivery.objects.filter(pk__in=claimed).select_related("client"))


def _send(delivery: LogoutDelivery, timeout: float) -> None:
    response = requests.post(delivery.url, data={delivery.form_field: delivery.payload}, timeout=timeout,
                             allow_redirects=False, headers={"Cache-Control": "no-store"})
    if response.status_code >= 300 and not (delivery.kind == LogoutDelivery.Kind.CAS
                                            and response.status_code < 400):
        raise RuntimeError(f"HTTP {response.status_code}")


def deliver_due(*, limit: int = 50, timeout: float = 5.0) -> int:
    """Send what is due; returns how many were delivered."""
    delivered = 0
    for delivery in _claim(limit):
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
            delivered += 1
        with transaction.atomic():
            delivery.save(update_fields=["attempts", "last_error", "failed_at", "next_attempt_at", "delivered_at"])
    return delivered


def run_worker(*, idle_sleep: float = 0.5, stop=None) -> None:
    """Deliver forever (or until `stop` is set): the `logout_worker` command. Without Redis it
    also clears expired codes and tickets from the database once a minute."""
    purged_at = 0.0
    while stop is None or not stop.is_set():
        try:
            if time.monotonic() - purged_at > 60:
                store.purge_expired()
                purged_at = time.monotonic()
            if not deliver_due():
                time.sleep(idle_sleep)
        except Exception:  # the database went away for a moment: keep the worker alive
            log.exception("logout worker")
            time.sleep(5)
