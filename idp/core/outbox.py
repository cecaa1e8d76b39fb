"""Messages to other systems that may fail — single-logout notices (sso/logout.py), webhooks
(provisioning/webhooks.py), SCIM changes (provisioning/scim.py) — kept as rows and sent by
background jobs, so a slow or dead receiver never holds up the person whose action caused them.

A row is an OutboxMessage (core/models.py: `url`, `attempts`, `next_attempt_at`, `delivered_at`,
`failed_at`, `last_error`). A job queued with the row makes the first attempt at once; failed
attempts are retried with back-off by the periodic sweep, which also picks up any row whose job was
lost. Both lease a row before sending it (`next_attempt_at` moved past the time the send can take,
by compare-and-set), so a message is never sent twice, however many workers on however many nodes
run; after the last delay, or at once when the receiver refuses the message for good, it is given up
(`failed_at`).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import Q
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from idp.core import jobs

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30  # a sweep claims no new batch after this, well within the job timeout
RECORD_MARGIN_SECONDS = 5  # an outcome not saved this long before the lease ends is given up
FIELDS = ["attempts", "last_error", "failed_at", "next_attempt_at", "delivered_at"]


class Refused(Exception):
    """The receiver refused the message for good (e.g. HTTP 400): not retried."""


def lease_seconds(limit: int, timeout: float) -> int:
    """A claimed batch is not handed to another worker before this worker can have sent all of it
    (every send may take the whole timeout)."""
    return int(limit * timeout) + 30


@dataclass(frozen=True)
class Outbox:
    model: type
    send: Callable  # send(row, timeout): raises on failure (Refused: not worth retrying)
    retry_delays: list[int]  # seconds after each failed attempt; then given up
    label: str  # what the log calls these messages
    related: tuple[str, ...] = field(default=())

    def claim(self, candidates, limit: int, timeout: float) -> list:
        """Lease due rows among `candidates` to this worker (compare-and-set, so two workers never
        share one). A claimed row's next_attempt_at is its lease: the outcome is saved only while
        the lease is still this worker's."""
        now = timezone.now()
        lease = now + timedelta(seconds=lease_seconds(limit, timeout))
        claimed = []
        due = (candidates.filter(delivered_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", "next_attempt_at")[:limit])
        for pk, seen_at in due:
            if self.model.objects.filter(pk=pk, next_attempt_at=seen_at, delivered_at__isnull=True).update(
                    next_attempt_at=lease):
                claimed.append(pk)
        return list(self.model.objects.filter(pk__in=claimed).select_related(*self.related))

    def attempt(self, claimed: list, timeout: float) -> int:
        """Send each claimed row once and record the outcome; returns how many were delivered."""
        delivered = 0
        for row in claimed:
            lease = row.next_attempt_at
            row.attempts += 1
            try:
                self.send(row, timeout)
            except Exception as exc:  # any failure of the remote side is retried, unless refused for good
                row.last_error = f"{type(exc).__name__}: {exc}"[:255]
                if isinstance(exc, Refused) or row.attempts > len(self.retry_delays):
                    row.failed_at = timezone.now()
                    log.warning("%s to %s given up: %s", self.label, row.url, row.last_error)
                else:
                    row.next_attempt_at = timezone.now() + timedelta(seconds=self.retry_delays[row.attempts - 1])
            else:
                row.delivered_at = timezone.now()
            if not self._record(row, lease):  # the lease ran out and another worker took the row over
                log.warning("%s to %s: lease lost, result dropped", self.label, row.url)
            elif row.delivered_at:
                delivered += 1
        return delivered

    def _record(self, row, lease) -> bool:
        """Save the attempt's outcome while the lease is still this worker's; False if it was not.
        The receiver has been told already: should the database be away for a moment (a restart,
        a failover), keep trying until shortly before the lease ends — giving up sooner would let
        another worker send the message a second time."""
        while True:
            try:
                return bool(self.model.objects.filter(pk=row.pk, next_attempt_at=lease, delivered_at__isnull=True)
                            .update(**{name: getattr(row, name) for name in FIELDS}))
            except (OperationalError, InterfaceError):
                if timezone.now() > lease - timedelta(seconds=RECORD_MARGIN_SECONDS):
                    raise
                if not connection.in_atomic_block:  # a new connection at the next try
                    connection.close()
                time.sleep(0.5)

    def deliver(self, pk: int, timeout: float) -> bool:
        """The job queued with each row: its first attempt. True if delivered."""
        return self.attempt(self.claim(self.model.objects.filter(pk=pk), 1, timeout), timeout) == 1

    def deliver_due(self, *, limit: int, timeout: float) -> int:
        """The periodic sweep: send what is due, a batch at a time, for up to SWEEP_SECONDS; returns
        how many were delivered."""
        delivered, started = 0, time.monotonic()
        while claimed := self.claim(self.model.objects.all(), limit, timeout):
            delivered += self.attempt(claimed, timeout)
            if time.monotonic() - started > SWEEP_SECONDS:
                break
        return delivered

    def purge_finished(self, days: int) -> int:
        """Delete the rows sent or given up more than `days` ago (the periodic purge)."""
        before = timezone.now() - timedelta(days=days)
        return jobs.delete_in_batches(self.model.objects.filter(Q(delivered_at__lt=before) | Q(failed_at__lt=before)))
