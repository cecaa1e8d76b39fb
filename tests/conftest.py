import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from django.core.cache import cache

from idp.core import process_copies
from tests import logscan

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by
# the test itself (reading the database to check results) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run (the browser journeys and the interoperability tests)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def _logs_are_collected(tmp_path_factory):
    """What this process logs, as production writes it, for the secret scan at the end."""
    handler = logscan.collecting_handler(tmp_path_factory.getbasetemp() / "platform-log.jsonl")
    logging.getLogger().addHandler(handler)
    yield
    logging.getLogger().removeHandler(handler)
    handler.close()


def pytest_sessionfinish(session, exitstatus):
    """Scan the run's logs — this process's and every platform server's the tests started."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or factory._basetemp is None:
        return
    base = factory.getbasetemp()
    logs = [base / "platform-log.jsonl", *(p for p in base.rglob("*.log") if "apache-" not in str(p))]
    found = logscan.findings(logs)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"log scan: {len(logs)} log files, {len(found)} secrets found")
        for line in found[:50]:
            reporter.write_line("  " + line, red=True)
    if found:
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache_outbox_and_storage(settings, tmp_path):
    """Rate-limit counters and the SMS outbox start empty."""
    cache.clear()
    # Process-wide copies of database rows must not outlive the test's rolled-back data.
    process_copies.forget_all()
    Path(settings.IDP_SMS_OUTBOX).unlink(missing_ok=True)
    yield
    cache.clear()


class Queue:
    """The job queue as production has it — rows of the queue table — and a worker's pass."""

    def jobs(self) -> list[dict]:
        """The queued jobs as {"job": dotted path, "args": [...]}: every task calls core.jobs.run."""
        from django_q.models import OrmQ

        from idp.core.jobs import RUNNER

        tasks = [row.task for row in OrmQ.objects.order_by("id")]
        assert all(task["func"] == RUNNER for task in tasks), tasks
        return [{"job": task["args"][0], "args": list(task["args"][1:])} for task in tasks]

    def run(self) -> int:
        """Run every queued job, as a worker would, until none is left; returns how many ran."""
        from django.utils.module_loading import import_string
        from django_q.models import OrmQ

        ran = 0
        while rows := list(OrmQ.objects.order_by("id")):
            for row in rows:
                job = row.task
                import_string(job["func"])(*job["args"], **job["kwargs"])
                row.delete()
                ran += 1
        return ran


@pytest.fixture
def published(monkeypatch):
    """The domain events published during the test (core/events.py), in order; they still run."""
    from idp.core import events

    seen = []
    publish = events.publish

    def recording(event):
        seen.append(event)
        publish(event)

    monkeypatch.setattr(events, "publish", recording)
    return seen


@pytest.fixture
def queued(monkeypatch):
    """Jobs go to the queue table instead of running at once (core/jobs.py)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    return Queue()


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({db.get('HOST') or db['NAME']})",
        f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}",
        f"chromium: {'/usr/bin/chromium' if os.path.exists('/usr/bin/chromium') else 'MISSING'}",
    ]


def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Say loudly what is skipped for a missing service; in CI (IDP_TEST_STRICT=1) the
    browser is required, so a missing Chromium fails instead of skipping."""
    strict = os.environ.get("IDP_TEST_STRICT") == "1"
    no_pg = pytest.mark.skip(
        reason="SKIPPED: needs PostgreSQL — run with IDP_DATABASE_URL=postgresql://… (.ci/run does)"
    )
    for item in items:
        if "postgres" in item.keywords and not is_postgres():
            item.add_marker(no_pg)
        if "browser" in item.keywords and not os.path.exists("/usr/bin/chromium"):
            if strict:
                raise pytest.UsageError("IDP_TEST_STRICT=1 but /usr/bin/chromium is missing")
            item.add_marker(pytest.mark.skip(
                reason="SKIPPED: needs /usr/bin/chromium (apt-get install chromium; .ci/run does)"
            ))


# --- fake business-system endpoints (single logout, CAS proxy callbacks) ---

class Receiver:
    """A real HTTP endpoint standing in for a business system's logout URL."""

    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        self.bodies: list[bytes] = []  # every POST's body as it came (SOAP)
        self.headers: list[dict] = []  # every POST's headers
        self.gets: list[str] = []
        self.status = 200
        self.reply = b""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                receiver.gets.append(self.path)
                self.send_response(receiver.status)
                self.end_headers()

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.bodies.append(body)
                receiver.headers.append(dict(self.headers))
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                receiver.posts.append((self.path, form))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def https_receiver(tmp_path):
    """A Receiver behind TLS with a self-signed certificate (a CAS proxy callback)."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    r = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    r.server.socket = context.wrap_socket(r.server.socket, server_side=True)
    r.url = r.url.replace("http://", "https://")
    yield r
    r.close()
