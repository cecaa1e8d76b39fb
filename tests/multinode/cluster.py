"""Two platform nodes as production runs them (`scripts/serve.py`: granian + the job cluster,
production settings) on the test database and a Redis of their own, behind HAProxy terminating
TLS and balancing each request round-robin — with the controls the fault tests need (restart
Redis or PostgreSQL, kill -9 a node)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.interop.servers import database_url as test_database_url
from tests.interop.servers import free_port
from tests.sso.browserless import form_inputs

ROOT = Path(__file__).resolve().parents[2]
METRICS_TOKEN = "metrics-token-of-the-multinode-test"
# The nodes' data key (production settings refuse the development key): the test process uses it
# too, so what it writes (identity numbers, client-secret digests) is what the nodes read.
DATA_KEY = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="
SECRET_KEY = "mN4-multinode-secret-key-for-two-nodes-" + "x7Q" * 6  # signs the jobs both sides queue


def require(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        if os.environ.get("IDP_TEST_STRICT") == "1":
            pytest.fail(f"{binary} is missing (apt-get install {package}; .ci/run does)")
        pytest.skip(f"SKIPPED: needs {binary} (apt-get install {package}; .ci/run does)")
    return path


def wait_for_port(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


class PrivateRedis:
    """A Redis for these nodes only (append-only file, as a production Redis keeps sessions),
    so restarting it disturbs nothing else."""

    def __init__(self, tmp: Path):
        self.binary = require("redis-server", "redis-server")
        self.port, self.dir = free_port(), tmp / "redis"
        self.dir.mkdir()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for_port(self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class SmsGateway:
    """The SMS gateway of the `http` back end: keeps every message it accepted."""

    def __init__(self):
        self.messages: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                gateway.messages.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def code_for(self, phone: str, seconds: float = 20) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if message["phone"] == phone:
                    return message["text"].split("验证码为 ")[1][:6]
            time.sleep(0.1)
        raise AssertionError(f"no SMS to {phone}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Node:
    def __init__(self, name: str, env: dict, tmp: Path):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "PORT": str(self.port), "PROMETHEUS_MULTIPROC_DIR": str(tmp / f"metrics-{name}")}
        self.log_path = tmp / f"{name}.log"

    def start(self):
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen([sys.executable, "scripts/serve.py"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def ready(self) -> int | None:
        try:
            with urllib.request.urlopen(self.url + "/health/ready", timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def wait_ready(self, seconds: float = 90):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            if self.ready() == 200:
                return
            time.sleep(0.2)
        raise AssertionError(f"node {self.name} not ready: {self.log_path.read_text()[-3000:]}")

    def _children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        found.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
        return found

    def kill9(self):
        """The whole node dies at once: serve, granian and the cluster with all their processes."""
        for child in self._children():  # each leads its own process group
            try:
                os.killpg(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.log.close()


class Proxy:
    """HAProxy terminating TLS (a self-signed certificate) in front of the nodes: round-robin per
    request, the client address and https passed on, the serving node named in X-Served-By.
    Requests go to the nodes whose /health/ready says 200; when none does (a dependency they
    share is down) to those still alive, which answer what they can without it (docs/operators.md, "Reverse proxy")."""

    def __init__(self, nodes: list[Node], tmp: Path, *, port: int):
        binary = require("haproxy", "haproxy")
        self.port = port
        self.url = f"https://127.0.0.1:{self.port}"
        pem = tmp / "proxy.pem"
        pem.write_bytes(_self_signed_pem())

        def servers(check: str) -> str:
            return "\n".join(f"    server {n.name} 127.0.0.1:{n.port} check inter 500 fall 2 rise 2" for n in nodes) + (
                f"\n    option httpchk GET {check}\n    http-check expect status 200")

        config = tmp / "haproxy.cfg"
        config.write_text(f"""global
    maxconn 500
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 2
    option redispatch 1
    # a request in flight on a node that dies is sent again to the other (docs/operators.md)
    retry-on conn-failure empty-response
frontend platform
    bind 127.0.0.1:{self.port} ssl crt {pem}
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    use_backend ready if {{ nbsrv(ready) gt 0 }}
    default_backend alive
backend ready
    balance roundrobin
    http-response set-header X-Served-By %s
{servers("/health/ready")}
backend alive
    balance roundrobin
    http-response set-header X-Served-By %s
{servers("/health/live")}
""")
        self.process = subprocess.Popen([binary, "-f", str(config), "-db"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def form_login(session, base: str, login_name: str, password: str, captcha_answer) -> tuple[object, bool]:
    """A person's password login through the page, as the load generators make it: the form, its
    captcha answered by `captcha_answer(hashkey)` (a test's privilege), the POST. (last response, ok)"""
    page = session.get(f"{base}/login/?tab=natural", timeout=10)
    if page.status_code != 200:
        return page, False
    form = form_inputs(page.text)
    form.update(kind="natural", login_name=login_name, password=password,
                captcha_1=captcha_answer(form["captcha_0"]))
    page = session.post(f"{base}/login/", data=form, allow_redirects=False, headers={"Referer": page.url},
                        timeout=10)
    return page, page.status_code == 302 and page.headers["Location"].startswith("/online/")


def _self_signed_pem() -> bytes:
    import datetime

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
    return cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class Platform:
    """Redis, the SMS gateway, two nodes and the proxy, started in that order; on the test database,
    or on `database_url` and `redis_url` (replicated ones: tests/multinode/test_failover.py); `extra`:
    more settings."""

    def __init__(self, tmp: Path, database_url: str | None = None, extra: dict | None = None,
                 redis_url: str | None = None):
        self.redis = None if redis_url else PrivateRedis(tmp)
        self.sms = SmsGateway()
        env = {key: value for key, value in os.environ.items() if not key.startswith(("IDP_", "DJANGO_"))}
        self.proxy_port = free_port()
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "IDP_ISSUER": f"https://127.0.0.1:{self.proxy_port}",
            "IDP_SECRET_KEY": SECRET_KEY,
            "IDP_DATA_KEY": DATA_KEY,
            "IDP_DATABASE_URL": database_url or test_database_url(),
            "IDP_REDIS_URL": redis_url or self.redis.url,
            "IDP_REALNAME_VERIFIER": "http", "IDP_REALNAME_HTTP_URL": "http://127.0.0.1:9/",
            "IDP_REALNAME_HTTP_TIMEOUT": "0.5", "IDP_REALNAME_HTTP_RETRIES": "0",
            "IDP_SMS_BACKEND": "http", "IDP_SMS_HTTP_URL": self.sms.url,
            "IDP_TRUSTED_PROXIES": "127.0.0.1",
            "IDP_METRICS_TOKEN": METRICS_TOKEN,
            "IDP_WORKERS": "1", "IDP_THREADS": "4", "IDP_QUEUE_WORKERS": "1",
            **(extra or {}),
        })
        self.env = env
        self.nodes = [Node("a", env, tmp), Node("b", env, tmp)]
        for node in self.nodes:  # one after the other: each collects the static files
            node.start()
        self.proxy = Proxy(self.nodes, tmp, port=self.proxy_port)

    def manage(self, *args) -> str:
        """A management command as an operator runs it on a node."""
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                              capture_output=True, text=True).stdout

    def close(self):
        self.proxy.stop()
        for node in self.nodes:
            if node.process.poll() is None:
                node.stop()
        self.sms.close()
        if self.redis:
            self.redis.stop()

