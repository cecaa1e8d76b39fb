"""The real servers the interoperability tests drive: the platform under granian (as
production runs it, config.wsgi:application), Apache httpd with a business system's module,
and the application behind Apache (which shows the headers Apache passed on)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
APACHE = "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def require(path: str, package: str) -> None:
    """Skip loudly without a package; in CI (IDP_TEST_STRICT=1) fail instead."""
    if not os.path.exists(path):
        message = f"{path} is missing (apt-get install {package}; .ci/run does)"
        if os.environ.get("IDP_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip("SKIPPED: " + message)


def database_url() -> str:
    db = connection.settings_dict  # the test database, which the test commits to
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Platform:
    def __init__(self, tmp: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "IDP_DATABASE_URL": database_url(),
               "IDP_ISSUER": self.url, "IDP_REDIS_URL": settings.REDIS_URL or "",
               "IDP_SMS_OUTBOX": str(tmp / "sms.jsonl"),
               "IDP_JOBS_INLINE": "0"}  # jobs are queued, as in production; the tests deliver them
        granian = str(Path(sys.executable).with_name("granian"))
        self.log = open(tmp / "granian.log", "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [granian, "--interface", "wsgi", "--workers", "1", "--blocking-threads", "4", "--host", "127.0.0.1",
             "--port", str(self.port), "--no-ws", "--log-level", "warning",
             # The platform's own script (production serves it with WhiteNoise): the pages work as
             # a browser meets them, e.g. a SAML response's form submits itself.
             "--static-path-route", "/static", "--static-path-mount", str(ROOT / "idp" / "core" / "static"),
             "config.wsgi:application"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.url + "/.well-known/openid-configuration")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()


class Backend:
    """The business system's application behind Apache: answers with the request headers."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps(dict(self.headers.items()), ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # e.g. a single-logout request the module passed on
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Apache:
    def __init__(self, tmp: Path, modules: list[str], body: str, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = tmp / f"apache-{self.port}"
        self.dir.mkdir()
        loads = "\n".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so" for name in dict.fromkeys(modules))
        (self.dir / "httpd.conf").write_text(f"""{loads}
ServerRoot "{self.dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
PidFile "{self.dir}/httpd.pid"
ErrorLog "{self.dir}/error.log"
LogLevel warn
User nobody
Group nogroup
{body}
""")
        self.process = subprocess.Popen([APACHE, "-f", str(self.dir / "httpd.conf"), "-DFOREGROUND"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise AssertionError("apache did not start: " + self.errors())

    def errors(self) -> str:
        path = self.dir / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=15)


@pytest.fixture
def platform(transactional_db, tmp_path):
    if not connection.vendor == "postgresql":
        pytest.skip("SKIPPED: needs PostgreSQL — the platform runs as its own process (.ci/run does)")
    server = Platform(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def backend():
    server = Backend()
    yield server
    server.stop()


def require_apache(module: str) -> None:
    require(APACHE, "apache2")
    require(f"{MODULES}/mod_{module}.so", "libapache2-mod-" + module.replace("_", "-"))

