"""`make serve` (CONTRACT.md, Operations): production settings from an env file, granian with two
worker processes and the job cluster beside it; readiness and metrics answer, the metrics add up
every process, a queued job is run, and TERM lets the request in flight finish."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from idp.sso import logout
from idp.sso import sessions as sso_sessions
from idp.sso.models import LogoutDelivery, SsoSession
from tests import factories
from tests.interop.servers import database_url, free_port
from tests.sso import helpers

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-the-test"

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not settings.REDIS_URL, reason="SKIPPED: needs Redis (production settings do)")]


def get(url: str, **headers) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def discovery_count(url: str) -> float:
    status, body = get(url + "/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    return sum(sample.value for family in text_string_to_metric_families(body.decode())
               for sample in family.samples
               if sample.name == "idp_http_requests_total" and sample.labels.get("group") == "oidc_discovery")


@pytest.fixture
def served(tmp_path, transactional_db):
    port = free_port()
    env_file = tmp_path / "idp.env"
    env_file.write_text("\n".join([
        "# the example file's variables, for this machine",
        "IDP_ISSUER=https://id.example.test", "IDP_ALLOWED_HOSTS=id.example.test,127.0.0.1",
        "IDP_SECRET_KEY=" + "k8-Vq2zLm" * 7,
        "IDP_DATA_KEY=q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=",
        f"IDP_DATABASE_URL={database_url()}",
        f"IDP_REDIS_URL={settings.REDIS_URL}",
        "IDP_REALNAME_VERIFIER=http", "IDP_REALNAME_HTTP_URL=http://127.0.0.1:9/",
        "IDP_SMS_BACKEND=http", "IDP_SMS_HTTP_URL=http://127.0.0.1:9/",
        "IDP_TRUSTED_PROXIES=127.0.0.1",
        f'IDP_METRICS_TOKEN="{TOKEN}"',
        f"PORT={port}", "IDP_WORKERS=2", "IDP_THREADS=2", "IDP_QUEUE_WORKERS=1",
    ]))
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("IDP_", "DJANGO_"))}  # `make serve` as an operator runs it
    env.update(IDP_ENV_FILE=str(env_file), PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(["make", "-s", "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and get_or_none(url + "/health/ready") != 200:
        assert process.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
        time.sleep(0.3)
    yield url, process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    log.close()


def get_or_none(url: str):
    try:
        return get(url)[0]
    except OSError:
        return None


def test_make_serve_answers_counts_every_process_runs_jobs_and_stops_gracefully(served, receiver, tmp_path):
    url, process = served
    status, body = get(url + "/health/ready")
    assert status == 200 and b'"database": "ok"' in body and b'"redis": "ok"' in body
    assert get(url + "/metrics")[0] == 403  # production settings: the token only

    before = discovery_count(url)
    for _ in range(20):  # spread over both worker processes
        assert get(url + "/.well-known/openid-configuration")[0] == 200
    assert discovery_count(url) - before == 20

    # The job cluster beside the server sends a queued single-logout notification.
    rp = helpers.oidc_client("rp-serve", backchannel_logout_uri=receiver.url + "/bc").client
    session = SsoSession.objects.create(sid="sid-serve", account=factories.natural_account(), auth_time=timezone.now())
    sso_sessions.join(session, rp, subject="subject-serve")
    logout.queue_for(session)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not receiver.posts:
        time.sleep(0.2)
    assert LogoutDelivery.objects.get().delivered_at is not None and len(receiver.posts) == 1

    # TERM while a request is half sent: it is answered, then everything stops.
    port = int(url.rsplit(":", 1)[1])
    body = b"grant_type=client_credentials"
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"POST /oidc/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.3)
        os.killpg(process.pid, signal.SIGTERM)
        time.sleep(0.5)
        conn.sendall(body[10:])
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401"), answer  # no client credentials: answered, not dropped
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)  # make ends as its signal says
    assert get_or_none(url + "/health/live") is None
    log = (tmp_path / "serve.log").read_text()
    assert "node stopped" not in log and "Traceback" not in log, log[-3000:]
