"""Issue 11, item 3: the client address behind a reverse proxy (IDP_TRUSTED_PROXIES)."""

import os
import shutil
import socket
import subprocess
import time

import pytest
import requests
from django.test import RequestFactory
from requests.adapters import HTTPAdapter

from idp.audit.models import AuditEntry, Event
from idp.core.http import client_ip
from tests import factories
from tests.sso.browserless import form_inputs


@pytest.mark.parametrize(("remote", "forwarded", "trusted", "expected"), [
    ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),  # no proxy configured: the header is ignored
    ("203.0.113.7", "198.51.100.1", ["10.0.0.5"], "203.0.113.7"),  # not from a trusted proxy
    ("10.0.0.5", "198.51.100.1", ["10.0.0.5"], "198.51.100.1"),
    ("10.0.0.5", "6.6.6.6, 198.51.100.1", ["10.0.0.5"], "198.51.100.1"),  # the client's own entry is not believed
    ("10.0.0.5", "198.51.100.1, 10.0.1.9", ["10.0.0.5", "10.0.1.0/24"], "198.51.100.1"),  # two proxies
    ("10.0.0.5", "10.0.1.8, 10.0.1.9", ["10.0.0.5", "10.0.1.0/24"], "10.0.1.8"),  # only proxies: the first
    ("10.0.0.5", "198.51.100.1, garbage", ["10.0.0.5"], "10.0.0.5"),  # garbage: no further than the proxy
    ("10.0.0.5", "", ["10.0.0.5"], "10.0.0.5"),
    ("10.0.0.5", "[2001:db8::1]:4711", ["10.0.0.5"], "2001:db8::1"),
    ("10.0.0.5", "198.51.100.1:4711", ["10.0.0.5"], "198.51.100.1"),
])
def test_client_ip(settings, remote, forwarded, trusted, expected):
    settings.IDP_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_another_header_can_be_configured(settings):
    settings.IDP_TRUSTED_PROXIES = ["10.0.0.5"]
    settings.IDP_CLIENT_IP_META = "HTTP_X_REAL_IP"
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_REAL_IP="198.51.100.2",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "198.51.100.2"


# --- behind a real HAProxy ------------------------------------------------------------------------

class FromAddress(HTTPAdapter):
    """Connect from a chosen loopback address: each stands for a different user's machine."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def user_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def haproxy(live_server, tmp_path):
    binary = shutil.which("haproxy")
    if binary is None:
        if os.environ.get("IDP_TEST_STRICT") == "1":
            pytest.fail("haproxy is missing (apt-get install haproxy; .ci/run does)")
        pytest.skip("SKIPPED: needs haproxy (apt-get install haproxy; .ci/run does)")
    port = free_port()
    backend = live_server.url.removeprefix("http://")
    config = tmp_path / "haproxy.cfg"
    config.write_text(f"""global
    maxconn 100
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend platform
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend nodes
backend nodes
    server node1 {backend}
""")
    process = subprocess.Popen([binary, "-f", str(config), "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def log_in(session, base, login_name, password, *, spoof=None):
    page = session.get(f"{base}/login/?tab=natural")
    data = {**form_inputs(page.text), "kind": "natural", "login_name": login_name, "password": password,
            "captcha_1": "PASSED"}
    headers = {"X-Forwarded-For": spoof} if spoof else {}
    return session.post(f"{base}/login/", data=data, headers=headers, allow_redirects=False)


@pytest.mark.django_db(transaction=True)
def test_the_ip_lock_is_per_real_client_behind_the_proxy(haproxy, settings):
    """Without the setting every user behind the proxy shares 127.0.0.1: one attacker's
    failures would lock everyone. With it, only the attacker's own address is locked."""
    settings.IDP_TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.IDP_LOGIN_IP_LOCK_FAILURES = 3
    factories.natural_account("honest_user")
    attacker, honest = user_at("127.0.0.2"), user_at("127.0.0.3")
    for n in range(3):  # different names: only the IP counter can lock; a spoofed header changes nothing
        log_in(attacker, haproxy, f"guess_{n}", "wrong-password", spoof=f"127.0.0.{50 + n}")
    locked = log_in(attacker, haproxy, "honest_user", factories.PASSWORD)
    assert locked.status_code == 200 and "锁定" in locked.text
    assert log_in(honest, haproxy, "honest_user", factories.PASSWORD).status_code == 302
    ips = set(AuditEntry.objects.filter(event=Event.LOGIN_FAILED).values_list("ip", flat=True))
    assert ips == {"127.0.0.2"}
    assert AuditEntry.objects.get(event=Event.LOGIN).ip == "127.0.0.3"
