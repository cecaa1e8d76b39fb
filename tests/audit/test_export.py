"""Audit export to a SIEM (IDP_AUDIT_SINK) and retention (audit/export.py): RFC 5424 syslog over UDP
and TCP, JSON lines to a file or over HTTP; a sink that is down loses nothing; exported entries past
the retention period are purged and the chain still verifies."""

import io
import json
import re
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from idp.audit import chain, export
from idp.audit.log import record
from idp.audit.models import AuditEntry, AuditExport, Event
from idp.core import partitions
from idp.core.metrics import AUDIT_EXPORT_FAILURES
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db

SYSLOG = re.compile(rb"^<86>1 (\S+) (\S+) idp (\d+) (\S+) - \xef\xbb\xbf(\{.*\})$", re.S)


def events(n, **detail):
    account = factories.natural_account()
    return [record(Event.LOGIN, account=account, ip="10.0.0.1", method="password", n=i, **detail) for i in range(n)]


def parsed(message: bytes) -> dict:
    match = SYSLOG.match(message)
    assert match, message[:200]
    body = json.loads(match.group(5))
    assert match.group(4).decode() == body["event"] and match.group(1).decode() == body["at"]
    return body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_syslog_over_udp_carries_the_chain(settings):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.IDP_AUDIT_SINK = f"syslog+udp://127.0.0.1:{receiver.getsockname()[1]}"
    written = events(3)
    total = AuditEntry.objects.count()
    assert export.export_job() == total
    received = [parsed(receiver.recv(70000)) for _ in range(total)]
    receiver.close()
    assert [r["seq"] for r in received] == list(range(1, total + 1))
    mine = {r["id"]: r for r in received}
    for entry in AuditEntry.objects.filter(pk__in=[w.pk for w in written]):
        assert mine[entry.pk]["tag"] == entry.tag and mine[entry.pk]["event"] == "login.success"
        assert mine[entry.pk]["detail"]["method"] == "password" and mine[entry.pk]["ip"] == "10.0.0.1"
    assert export.export() == 0  # nothing twice


class TcpReceiver:
    """A SIEM's syslog listener: octet-counted frames (RFC 6587)."""

    def __init__(self, port):
        self.messages, self.server = [], socket.create_server(("127.0.0.1", port))
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            data = b""
            with connection:
                while chunk := connection.recv(65536):
                    data += chunk
            while data:
                length, _, rest = data.partition(b" ")
                self.messages.append(rest[:int(length)])
                data = rest[int(length):]

    def close(self):
        self.server.close()


def test_a_syslog_sink_that_is_down_loses_nothing(settings):
    port = free_port()
    settings.IDP_AUDIT_SINK = f"syslog+tcp://127.0.0.1:{port}"
    events(4)
    failures = AUDIT_EXPORT_FAILURES._value.get()
    assert export.export_job() == 0  # nobody listens
    assert AUDIT_EXPORT_FAILURES._value.get() == failures + 1
    assert AuditExport.objects.get().sent_seq == 0
    events(2)  # more while it is down

    receiver = TcpReceiver(port)
    try:
        total = AuditEntry.objects.count()
        assert export.export_job() == total
        assert export.export_job() == 0
        receiver.thread.join(0.5)
        seqs = [parsed(m)["seq"] for m in receiver.messages]
    finally:
        receiver.close()
    assert seqs == list(range(1, total + 1))  # every one, once, in chain order


def test_json_lines_to_a_file(settings, tmp_path):
    sink = tmp_path / "audit.jsonl"
    settings.IDP_AUDIT_SINK = f"file://{sink}"
    events(2)
    export.export_job()
    events(1, method_note="后来")
    export.export_job()
    lines = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    assert [r["seq"] for r in lines] == list(range(1, AuditEntry.objects.count() + 1))
    assert lines[-1]["detail"]["method_note"] == "后来"


def test_json_lines_over_http_after_an_error_status(settings):
    bodies, statuses = [], [503, 200, 200]

    class Siem(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = statuses.pop(0)
            if status == 200:
                bodies.append(body)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Siem)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.IDP_AUDIT_SINK = f"http://127.0.0.1:{server.server_address[1]}/ingest"
    try:
        events(3)
        assert export.export_job() == 0  # 503
        assert export.export_job() == AuditEntry.objects.count()
    finally:
        server.shutdown()
    seqs = [json.loads(line)["seq"] for line in bodies[0].decode().splitlines()]
    assert seqs == list(range(1, AuditEntry.objects.count() + 1))


def test_retention_purges_only_what_was_exported_and_the_chain_still_verifies(settings, tmp_path):
    """The entries of now are purged once IDP_AUDIT_RETENTION_DAYS and the rest of their month have
    passed (PostgreSQL drops whole months: core/partitions.py); entries written later are kept."""
    old = events(5)
    young = events(2)
    AuditEntry.objects.filter(pk__in=[e.pk for e in young]).update(at=timezone.now() + timedelta(days=100))
    chain.seal()
    later = timezone.now() + timedelta(days=settings.IDP_AUDIT_RETENTION_DAYS + 65)
    settings.IDP_AUDIT_SINK = ""
    assert export.purge(now=later) == 0  # no sink: nothing is ever purged
    settings.IDP_AUDIT_SINK = f"file://{tmp_path / 'audit.jsonl'}"
    assert export.purge(now=later) == 0  # not exported yet
    export.export_job()
    first_young = AuditEntry.objects.filter(pk__in=[e.pk for e in young]).order_by("chain_seq").first().chain_seq
    purged = export.purge(now=later, chunk=2)
    assert purged == first_young - 1  # the oldest run, up to the first entry still young
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert AuditEntry.objects.filter(pk__in=[e.pk for e in young]).count() == 2
    verdict = chain.verify()
    assert verdict.intact and verdict.checked == AuditEntry.objects.count()
    AuditEntry.objects.filter(pk=young[0].pk).update(ip="10.9.9.9")
    assert chain.verify().entry_id == young[0].pk  # what is left is still checked


@pytest.mark.postgres
def test_a_month_is_dropped_only_with_the_entries_before_its_last_in_the_chain(settings, tmp_path):
    """An entry written in the next month's first instant may stand before the month's last in the
    chain; the month waits until that entry is old too, then both go and the rest still verifies."""
    settings.IDP_AUDIT_SINK = f"file://{tmp_path / 'audit.jsonl'}"
    first, across, last = events(3)
    boundary = partitions.bounds(AuditEntry._meta.db_table)["audit_auditentry_before"]  # where their partition ends
    AuditEntry.objects.filter(pk=across.pk).update(at=boundary + timedelta(days=1))
    young = events(1)[0]
    AuditEntry.objects.filter(pk=young.pk).update(at=boundary + timedelta(days=20))
    export.export_job()
    retention = timedelta(days=settings.IDP_AUDIT_RETENTION_DAYS)
    assert AuditEntry.objects.get(pk=across.pk).chain_seq < AuditEntry.objects.get(pk=last.pk).chain_seq

    assert export.purge(now=boundary + retention + timedelta(hours=1)) == 0  # `across` is not old yet
    kept = AuditEntry.objects.count()
    assert export.purge(now=boundary + retention + timedelta(days=2)) == kept - 1
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [young.pk] != [first.pk]
    assert chain.verify().intact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_nodes_exporting_at_once_send_each_entry_once(settings, tmp_path):
    sink = tmp_path / "audit.jsonl"
    settings.IDP_AUDIT_SINK = f"file://{sink}"
    events(30)
    chain.seal()
    results = run_together(*[export.export] * 3)
    assert sum(results) == AuditEntry.objects.count()
    seqs = [json.loads(line)["seq"] for line in sink.read_text().splitlines()]
    assert seqs == list(range(1, AuditEntry.objects.count() + 1))


def test_the_command_sends_now_and_says_how_far(settings, tmp_path):
    settings.IDP_AUDIT_SINK = ""
    with pytest.raises(CommandError, match="not set"):
        call_command("audit_export")
    settings.IDP_AUDIT_SINK = f"syslog+tcp://127.0.0.1:{free_port()}"
    events(2)
    with pytest.raises(CommandError, match="#1 onwards wait"):
        call_command("audit_export", stdout=io.StringIO())
    settings.IDP_AUDIT_SINK = f"file://{tmp_path / 'audit.jsonl'}"
    out = io.StringIO()
    call_command("audit_export", "--purge", stdout=out)
    total = AuditEntry.objects.count()
    assert f"exported through #{total}" in out.getvalue() and "purged 0 entries older than 180 days" in out.getvalue()


def test_a_sink_that_cannot_be_used_is_refused(settings):
    for value, ok in (("syslog+tcp://siem.example.cn:601", True), ("file:///var/log/idp/a.jsonl", True),
                      ("syslog+udp://siem.example.cn", False), ("ftp://x", False), ("file://relative", False)):
        settings.IDP_AUDIT_SINK = value
        assert bool(export.sink_is_usable()) is not ok, value
