"""Webhooks: a business system that cannot speak SCIM is told, within seconds, when an account it
knows changes or a grant for it is given, changed or ended — so it keeps no stale copy.

Where the events come from: the audit log, the one record of every change (audit/log.py). Each
entry of an event below, once committed, queues `fan_out`, which writes one delivery per system
concerned and queues its first attempt; core/outbox.py sends, retries with back-off (5xx, 408, 429,
no answer) and gives up at last or at once on any other answer (a dead letter: the console lists
them, with 重新投递, and `idp_webhook_deliveries{kind="failed"}` counts them).

Which systems: an account's events go to the systems it has entered (through 在线办事 or by
signing on) or holds a grant for; a grant's events to the grant's system. Each body names the
account by the subject that system already sees (`sub`), never by login name or identity number.

A request: POST, `Content-Type: application/json`, the body
`{"id", "type", "time", "system", "data"}`, and the headers `Idp-Webhook-Id` (the event's id, the
same on every retry: a receiver ignores one it has seen), `Idp-Webhook-Timestamp` (Unix seconds of
this attempt) and `Idp-Webhook-Signature: v1=<hex HMAC-SHA256 of "<id>.<timestamp>.<body>" under
the system's secret>`. A receiver checks the signature and refuses a timestamp more than
REPLAY_WINDOW seconds from its clock (`verify`, docs/integrators.md).
"""

import hashlib
import hmac
import json
import secrets
import time
import uuid

import requests
from django.db import transaction
from django.utils import timezone

from idp.accounts.models import Account
from idp.audit.log import record
from idp.audit.models import AuditEntry, Event
from idp.catalogue.models import BusinessSystem
from idp.core import jobs
from idp.core.outbox import Outbox, Refused
from idp.delegation.models import Grant
from idp.provisioning.audience import systems_knowing
from idp.provisioning.models import WebhookDelivery, WebhookEndpoint
from idp.sso import claims

TYPES = {
    Event.PROFILE_UPDATED: "account.updated",
    Event.ACCOUNT_DISABLED: "account.disabled",
    Event.ACCOUNT_ENABLED: "account.enabled",
    Event.REALNAME_PASSED: "account.verified",
    Event.REVIEW_APPROVED: "account.verified",
    Event.GRANT_CREATED: "grant.created",
    Event.GRANT_CHANGED: "grant.changed",
    Event.GRANT_REVOKED: "grant.ended",
    Event.GRANT_DECLINED: "grant.ended",
}
RETRY_DELAYS = [60, 300, 1800, 7200, 21600]  # seconds after each failed attempt; then a dead letter
RETRIED_STATUSES = {408, 429}  # and every 5xx
BATCH, TIMEOUT = 5, 5.0
REPLAY_WINDOW = 300
FINISHED_KEPT_DAYS = 30


# --- the events ---------------------------------------------------------------------------------

def on_audit_entry(sender, instance: AuditEntry, created: bool, **kwargs) -> None:
    """post_save of an audit entry: an event business systems hear of goes out once it is committed.
    A grant is written twice (the organisation's entry and the person's): the organisation's speaks."""
    if not created or instance.event not in TYPES or (instance.event.startswith("grant.")
                                                      and "person" not in instance.detail):
        return
    if WebhookEndpoint.objects.filter(is_active=True).exists():
        jobs.enqueue("idp.provisioning.webhooks.fan_out", instance.pk)


def _account_data(account: Account) -> dict:
    return {"sub": claims.subject(account), "type": account.kind, "name": account.display_name,
            "realname_status": account.realname_status, "active": account.is_active}


def _grant_data(grant: Grant) -> dict:
    return {"id": grant.pk, "organisation": claims.subject(grant.organisation),
            "organisation_name": grant.organisation.display_name, "person": claims.subject(grant.person),
            "status": grant.status, "expires_on": grant.expires_on.isoformat() if grant.expires_on else None}


def fan_out(entry_id: int) -> int:
    """The job queued by an event: one delivery per system concerned (once, however often the job
    runs). Returns how many were written."""
    entry = AuditEntry.objects.filter(pk=entry_id).first()
    if entry is None or entry.account_ref is None:
        return 0
    kind = TYPES[entry.event]
    if kind.startswith("grant."):
        grant = Grant.objects.select_related("organisation", "person", "system").filter(
            pk=entry.detail.get("grant")).first()
        if grant is None:
            return 0
        systems, data = {grant.system_id}, {"grant": _grant_data(grant)}
    else:
        account = Account.objects.filter(pk=entry.account_ref).first()
        if account is None:
            return 0
        systems, data = systems_knowing(account.pk), {"account": _account_data(account)}
    endpoints = WebhookEndpoint.objects.filter(system_id__in=systems, is_active=True).select_related("system")
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"idp-audit-entry:{entry.pk}")  # the same if the job runs again
    made = []
    for endpoint in endpoints:
        body = {"id": str(event_id), "type": kind, "time": entry.at.isoformat(), "system": endpoint.system.code,
                "data": data}
        made.append(WebhookDelivery(endpoint=endpoint, event_id=event_id, event_type=kind, url=endpoint.url,
                                    payload=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                                    next_attempt_at=timezone.now()))
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(made, ignore_conflicts=True)  # a second run of the job adds none
        for pk in WebhookDelivery.objects.filter(event_id=event_id, attempts=0,
                                                 delivered_at__isnull=True).values_list("pk", flat=True):
            jobs.enqueue("idp.provisioning.webhooks.deliver", pk)
    return len(made)


# --- signing and sending --------------------------------------------------------------------------

def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, headers, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does (docs/integrators.md): the signature holds and the timestamp is recent."""
    try:
        timestamp = int(headers["Idp-Webhook-Timestamp"])
        event_id, given = headers["Idp-Webhook-Id"], headers["Idp-Webhook-Signature"]
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > REPLAY_WINDOW:
        return False
    return hmac.compare_digest(given, signature(secret, event_id, timestamp, body))


def _send(delivery: WebhookDelivery, timeout: float) -> None:
    body, timestamp = delivery.payload.encode(), int(time.time())
    event_id = str(delivery.event_id)
    answer = requests.post(delivery.url, data=body, timeout=timeout, allow_redirects=False, headers={
        "Content-Type": "application/json", "Idp-Webhook-Id": event_id, "Idp-Webhook-Timestamp": str(timestamp),
        "Idp-Webhook-Signature": signature(delivery.endpoint.secret, event_id, timestamp, body)})
    if 200 <= answer.status_code < 300:
        return
    if answer.status_code in RETRIED_STATUSES or answer.status_code >= 500:
        raise RuntimeError(f"HTTP {answer.status_code}")
    raise Refused(f"HTTP {answer.status_code}")


OUTBOX = Outbox(WebhookDelivery, _send, RETRY_DELAYS, "webhook", related=("endpoint",))


def deliver(pk: int) -> bool:
    """The job queued with each delivery: its first attempt."""
    return OUTBOX.deliver(pk, TIMEOUT)


def deliver_due(*, limit: int = BATCH, timeout: float = TIMEOUT) -> int:
    """Every minute: the retries that are due, and any delivery whose job was lost."""
    return OUTBOX.deliver_due(limit=limit, timeout=timeout)


def purge_finished() -> int:
    return OUTBOX.purge_finished(FINISHED_KEPT_DAYS)


# --- operators ------------------------------------------------------------------------------------

def register(*, system: BusinessSystem, url: str, new_secret: bool = False) -> str | None:
    """Set a system's webhook URL (and enable it). Returns the signing secret when one is made —
    at the first registration or with `new_secret` — to be given to the system once."""
    endpoint = WebhookEndpoint.objects.filter(system=system).first()
    secret = None
    if endpoint is None:
        endpoint, secret = WebhookEndpoint(system=system), secrets.token_urlsafe(32)
    elif new_secret:
        secret = secrets.token_urlsafe(32)
    endpoint.url, endpoint.is_active = url, True
    if secret:
        endpoint.secret = secret
    with transaction.atomic():
        endpoint.save()
        record(Event.WEBHOOK_REGISTERED, actor=None, system=system.code, url=url, new_secret=bool(secret))
    return secret


def dead_letters():
    return (WebhookDelivery.objects.filter(failed_at__isnull=False, delivered_at__isnull=True)
            .select_related("endpoint__system").order_by("-failed_at"))


def retry(pk: int) -> bool:
    """重新投递 a dead letter: offered again at once, with its attempts counted afresh."""
    with transaction.atomic():
        again = WebhookDelivery.objects.filter(pk=pk, failed_at__isnull=False, delivered_at__isnull=True).update(
            failed_at=None, attempts=0, next_attempt_at=timezone.now())
        if again:
            jobs.enqueue("idp.provisioning.webhooks.deliver", pk)
    return bool(again)


def undelivered() -> dict:
    waiting = WebhookDelivery.objects.filter(delivered_at__isnull=True)
    return {"pending": waiting.filter(failed_at__isnull=True).count(),
            "failed": waiting.filter(failed_at__isnull=False).count()}
