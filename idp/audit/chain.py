"""The tamper-evident audit log (等保 2.0 8.1.4.3 c): every entry is sealed into one chain —
its tag is an HMAC (SHA-256, or SM3 in the gm crypto suite), under a key of its own derived from
IDP_DATA_KEY, over the entry's content and the tag of the entry before it. Editing an entry breaks
its tag; deleting one, reordering, or inserting one breaks the next entry's; only a holder of the
key could forge a chain.

Entries are written without a tag (record(), and the bulk writers' audit_row()), so no request
waits for a lock; the sealer — every minute (AuditConfig), and before `audit_verify` — takes the
unsealed entries in the order they were written and extends the chain, one sealer at a time (it
locks the ChainHead row). An entry committed late (a long import) is sealed when it appears,
after those already sealed: the chain's order is `chain_seq`, not `id`. What an attacker could
still do unseen is delete an entry in the minute before it is sealed.

`verify()` walks the chain in `chain_seq` order, in batches, from any point (resumable, or one
day at a time) and names the first entry whose tag does not hold or whose place is missing.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from idp.audit.models import AuditEntry, AuditExport, ChainHead
from idp.core import crypto, gm

BATCH = 2000
FIELDS = ["id", "chain_seq", "at", "event", "account_ref", "actor_ref", "login_name", "ip", "detail", "tag"]


def _keys() -> dict[str, bytes]:
    """The chain's key in each crypto suite; the current suite's seals, either verifies (an entry
    keeps the suite it was sealed in when IDP_CRYPTO_SUITE changes)."""
    return {s: crypto.purpose_key("audit chain", s) for s in crypto.SUITES}


def _content(entry: dict, seq: int) -> bytes:
    """What the tag covers: the entry as written, and its place in the chain."""
    at = entry["at"].astimezone(UTC).isoformat(timespec="microseconds")
    body = [seq, entry["id"], at, entry["event"], entry["account_ref"], entry["actor_ref"], entry["login_name"],
            entry["ip"], entry["detail"]]
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def tag_of(key: bytes, entry: dict, seq: int, previous: str, crypto_suite: str) -> str:
    """HMAC-SHA256, or HMAC-SM3 in the gm suite."""
    message = previous.encode() + b"|" + _content(entry, seq)
    if crypto_suite == crypto.GM:
        return gm.hmac_sm3(key, message).hex()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _holds(keys: dict, entry: dict, seq: int, previous: str) -> bool:
    return any(hmac.compare_digest(entry["tag"], tag_of(keys[s], entry, seq, previous, s))
               for s in sorted(keys, key=lambda s: s != crypto.suite()))  # the current suite's first


def _head() -> ChainHead:
    """The chain's head, locked (made on first use; two sealers racing to make it make one)."""
    try:
        with transaction.atomic():
            ChainHead.objects.get_or_create(pk=1)
    except IntegrityError:
        pass
    return ChainHead.objects.select_for_update().get(pk=1)


def seal(*, limit: int | None = None) -> int:
    """Extend the chain with the entries not yet in it (oldest first). Returns how many."""
    suite, sealed = crypto.suite(), 0
    key = _keys()[suite]
    while limit is None or sealed < limit:
        with transaction.atomic():
            head = _head()
            batch = list(AuditEntry.objects.filter(chain_seq__isnull=True).order_by("id")
                         .values(*FIELDS)[:BATCH if limit is None else min(BATCH, limit - sealed)])
            if not batch:
                return sealed
            seq, tag, sealed_now = head.seq, head.tag, []
            for entry in batch:
                seq += 1
                tag = tag_of(key, entry, seq, tag, suite)
                sealed_now.append(AuditEntry(pk=entry["id"], chain_seq=seq, tag=tag))
            AuditEntry.objects.bulk_update(sealed_now, ["chain_seq", "tag"], batch_size=500)
            head.seq, head.tag, head.sealed_at = seq, tag, timezone.now()
            head.save(update_fields=["seq", "tag", "sealed_at"])
            sealed += len(batch)
    return sealed


@dataclass
class Verdict:
    checked: int
    broken_at: int | None = None  # the chain_seq where it breaks
    entry_id: int | None = None  # the entry found there (None: the entry of that place is gone)
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(*, from_seq: int = 1, day: str | None = None, progress=None) -> Verdict:
    """Walk the chain from `from_seq` (or from the first entry of `day`, YYYY-MM-DD) to its end
    (or that day's end). `progress(seq)` is called after each batch."""
    keys, checked = _keys(), 0
    entries = AuditEntry.objects.filter(chain_seq__isnull=False)
    until = None
    if day:
        start = timezone.make_aware(datetime.strptime(day, "%Y-%m-%d"))
        until = start + timedelta(days=1)
        first = entries.filter(at__gte=start, at__lt=until).order_by("chain_seq").values_list("chain_seq", flat=True)
        from_seq = first.first() or 0
        if not from_seq:
            return Verdict(0)
    previous = ""
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.purged_seq >= from_seq - 1 and head.purged_seq:  # the start was purged after export
        from_seq, previous = head.purged_seq + 1, head.purged_tag
    elif from_seq > 1:
        before = entries.filter(chain_seq=from_seq - 1).values_list("tag", flat=True).first()
        if before is None:
            return Verdict(0, broken_at=from_seq - 1, reason="the entry before the starting point is missing")
        previous = before
    expected = from_seq
    while True:
        batch = list(entries.filter(chain_seq__gte=expected).order_by("chain_seq").values(*FIELDS)[:BATCH])
        if not batch:
            return Verdict(checked)
        for entry in batch:
            if day and entry["at"] >= until:
                return Verdict(checked)
            if entry["chain_seq"] != expected:
                return Verdict(checked, broken_at=expected, reason="an entry of the chain is missing")
            if not _holds(keys, entry, expected, previous):
                return Verdict(checked, broken_at=expected, entry_id=entry["id"],
                               reason="the entry or the one before it was changed")
            previous, expected, checked = entry["tag"], expected + 1, checked + 1
        if progress:
            progress(expected - 1)


def state() -> dict:
    """For the console: how far the chain is sealed, how many entries wait, how far it was exported."""
    head = ChainHead.objects.filter(pk=1).first()
    export = AuditExport.objects.filter(pk=1).first()
    return {"sealed": head.seq if head else 0, "sealed_at": head.sealed_at if head else None,
            "waiting": AuditEntry.objects.filter(chain_seq__isnull=True).count(),
            "exported": export.sent_seq if export else 0, "exported_at": export.sent_at if export else None,
            "purged": head.purged_seq if head else 0}


