"""Audit export to the operator's SIEM (等保 2.0 8.1.5.4) and retention (网络安全法 Art. 21).

IDP_AUDIT_SINK names where every audit entry goes:

- `syslog+udp://host:514` or `syslog+tcp://host:601` — RFC 5424 messages (facility authpriv), the
  entry as JSON in the message; over TCP framed by octet counting (RFC 6587 3.4.1);
- `file:///var/log/idp/audit.jsonl` — JSON lines appended, flushed to disk per batch;
- `https://…` (or `http://…`) — JSON lines POSTed in batches (Content-Type application/x-ndjson),
  any 2xx accepted.

Entries leave in the audit chain's order (chain.py), after they are sealed, each with its `seq`
and `tag`: the SIEM receives the tamper-evident chain itself. A job (every minute, with the sealer)
sends from where the last delivery stopped — AuditExport.sent_seq, moved only after the sink took
the batch — so a sink that is down loses nothing: the next run catches up. Delivery is at least once
(a node killed between the send and the commit sends that batch again; `seq` tells repeats apart).
Failures are logged as one JSON line and counted (idp_audit_export_failures_total).

Retention: entries older than IDP_AUDIT_RETENTION_DAYS (at least 180) are deleted daily — but only
those already exported, and none at all while no sink is configured. The chain remembers where the
deleted part ended, so `audit_verify` still checks everything that is left. No page or API deletes
audit entries.
"""

import json
import logging
import os
import socket
from datetime import UTC, timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core import checks
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from idp.audit import chain
from idp.audit.models import AuditEntry, AuditExport, ChainHead
from idp.core import partitions
from idp.core.metrics import AUDIT_EXPORT_FAILURES

log = logging.getLogger(__name__)

BATCH = 500
TIMEOUT = 5
AUTHPRIV_INFO = 10 * 8 + 6  # RFC 5424 PRI: facility authpriv (10), severity informational (6)
SCHEMES = ("syslog+udp", "syslog+tcp", "file", "http", "https")


class SinkDown(Exception):
    """The sink did not take the batch (unreachable, refused, or an error status)."""


def sink_problem(value: str) -> str:
    """Why IDP_AUDIT_SINK cannot be used ("" if it can, or is unset)."""
    if not value:
        return ""
    url = urlsplit(value)
    if url.scheme not in SCHEMES:
        return f"the scheme must be one of {', '.join(SCHEMES)}"
    if url.scheme == "file":
        return "" if url.path.startswith("/") else "file:// needs an absolute path"
    if not url.hostname or (url.scheme.startswith("syslog") and not url.port):
        return "give a host (and, for syslog, a port)"
    return ""


@checks.register(checks.Tags.security)
def sink_is_usable(app_configs=None, **kwargs):
    if problem := sink_problem(settings.IDP_AUDIT_SINK):
        return [checks.Error(f"IDP_AUDIT_SINK: {problem}.", id="idp.E020",
                             hint="e.g. syslog+tcp://siem.example.gov.cn:601 or file:///var/log/idp/audit.jsonl")]
    return []


def record_of(entry: dict) -> dict:
    """What leaves for the SIEM: the entry as written, its place in the chain and its tag."""
    return {"seq": entry["chain_seq"], "id": entry["id"],
            "at": entry["at"].astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "event": entry["event"], "account": entry["account_ref"], "actor": entry["actor_ref"],
            "login_name": entry["login_name"], "ip": entry["ip"], "detail": entry["detail"], "tag": entry["tag"]}


def syslog_message(record: dict) -> bytes:
    """RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG (the record as JSON, UTF-8 with BOM)."""
    host = (socket.gethostname() or "-")[:255]
    header = f"<{AUTHPRIV_INFO}>1 {record['at']} {host} idp {os.getpid()} {record['event'][:32]} -"
    body = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return header.encode() + b" \xef\xbb\xbf" + body.encode()


def _send(sink: str, records: list[dict]) -> None:
    url = urlsplit(sink)
    try:
        if url.scheme == "syslog+udp":
            with socket.socket(socket.AF_INET6 if ":" in url.hostname else socket.AF_INET, socket.SOCK_DGRAM) as udp:
                for record in records:
                    udp.sendto(syslog_message(record)[:65000], (url.hostname, url.port))
        elif url.scheme == "syslog+tcp":
            with socket.create_connection((url.hostname, url.port), timeout=TIMEOUT) as tcp:
                tcp.sendall(b"".join(b"%d %s" % (len(m), m) for m in map(syslog_message, records)))
        else:
            lines = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
            if url.scheme == "file":
                with open(url.path, "a", encoding="utf-8") as out:
                    out.write(lines)
                    out.flush()
                    os.fsync(out.fileno())
            else:
                answer = requests.post(sink, data=lines.encode(), timeout=TIMEOUT,
                                       headers={"Content-Type": "application/x-ndjson"})
                if not 200 <= answer.status_code < 300:
                    raise SinkDown(f"HTTP {answer.status_code}")
    except (OSError, requests.RequestException) as error:
        raise SinkDown(type(error).__name__) from error


def _cursor() -> AuditExport | None:
    """The export's place, locked; None while another node is exporting."""
    try:
        with transaction.atomic():  # two nodes making the row at once make one
            AuditExport.objects.get_or_create(pk=1)
    except IntegrityError:
        pass
    return AuditExport.objects.select_for_update(skip_locked=True).filter(pk=1).first()


def export(*, sink: str | None = None) -> int:
    """Send the sealed entries not yet sent, in chain order, until caught up or the sink fails.
    Returns how many were sent."""
    sink = settings.IDP_AUDIT_SINK if sink is None else sink
    if not sink:
        return 0
    sent = 0
    while True:
        with transaction.atomic():
            cursor = _cursor()
            if cursor is None:
                return sent
            batch = list(AuditEntry.objects.filter(chain_seq__gt=cursor.sent_seq).order_by("chain_seq")
                         .values(*chain.FIELDS)[:BATCH])
            if not batch:
                return sent
            try:
                _send(sink, [record_of(entry) for entry in batch])
            except SinkDown as down:
                AUDIT_EXPORT_FAILURES.inc()
                log.warning("audit export failed", extra={"sink": urlsplit(sink).scheme, "reason": str(down),
                                                          "waiting_from_seq": cursor.sent_seq + 1})
                return sent
            cursor.sent_seq, cursor.sent_at = batch[-1]["chain_seq"], timezone.now()
            cursor.save(update_fields=["sent_seq", "sent_at"])
            sent += len(batch)


def export_job() -> int:
    """Every minute (AuditConfig): seal what is waiting, then send it."""
    chain.seal()
    return export()


def purge(*, now=None, chunk: int = 10_000) -> int:
    """Delete the entries older than the retention period that the sink has taken — the oldest
    run of them — and move the chain's purge mark. Returns how many. On PostgreSQL the log is
    partitioned by month (core/partitions.py) and whole months are dropped; elsewhere the rows are
    deleted in chunks of one transaction each."""
    now = now or timezone.now()
    table = AuditEntry._meta.db_table
    partitioned = partitions.is_partitioned(table)
    if partitioned:
        partitions.ensure(table, now=now)
    if not settings.IDP_AUDIT_SINK:
        return 0
    before = now - timedelta(days=settings.IDP_AUDIT_RETENTION_DAYS)
    if partitioned:
        return _drop_months(table, before)
    deleted = 0
    while True:
        with transaction.atomic():
            head = ChainHead.objects.select_for_update().filter(pk=1).first()
            sent = AuditExport.objects.filter(pk=1).values_list("sent_seq", flat=True).first() or 0
            if head is None:
                return deleted
            upto = min(sent, head.purged_seq + chunk)
            young = (AuditEntry.objects.filter(chain_seq__gt=head.purged_seq, chain_seq__lte=upto, at__gte=before)
                     .order_by("chain_seq").values_list("chain_seq", flat=True).first())
            last = young - 1 if young else upto
            tag = AuditEntry.objects.filter(chain_seq=last).values_list("tag", flat=True).first()
            if last <= head.purged_seq or tag is None:  # nothing old enough, or the chain has a hole here
                return deleted
            deleted += AuditEntry.objects.filter(chain_seq__gt=head.purged_seq, chain_seq__lte=last).delete()[0]
            head.purged_seq, head.purged_tag = last, tag
            head.save(update_fields=["purged_seq", "purged_tag"])


def _drop_months(table: str, before) -> int:
    """Drop the months wholly older than `before`, oldest first, while every entry of the month is
    sealed and sent. An entry of the next month may stand before the month's last one in the chain
    (written in the same instant across the month's end): it is deleted with the month if it is old
    too — else the month waits, so the chain's purged part stays one run from its start."""
    q = connection.ops.quote_name
    deleted = 0
    for name in partitions.partitions_before(table, before):
        with transaction.atomic():
            head = ChainHead.objects.select_for_update().filter(pk=1).first()
            sent = AuditExport.objects.filter(pk=1).values_list("sent_seq", flat=True).first() or 0
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT max(chain_seq), count(*) - count(chain_seq) FROM {q(name)}")
                last, unsealed = cursor.fetchone()
            if head is None or unsealed or (last is not None and last > sent):
                return deleted
            if last is not None and last > head.purged_seq:
                rest = AuditEntry.objects.filter(chain_seq__gt=head.purged_seq, chain_seq__lte=last)
                if rest.filter(at__gte=before).exists():
                    return deleted
                tag = AuditEntry.objects.filter(chain_seq=last).values_list("tag", flat=True).get()
                deleted += partitions.drop(name) + rest.delete()[0]
                head.purged_seq, head.purged_tag = last, tag
                head.save(update_fields=["purged_seq", "purged_tag"])
            else:
                deleted += partitions.drop(name)
    return deleted


def purge_job() -> int:
    """Daily (AuditConfig)."""
    return purge()
