"""One JSON line per request with its request id (CONTRACT.md, Operations), and nothing secret
in it: not the query string, not the body, not the token in a set-password link."""

import json
import logging

import pytest

from idp.core.requestlog import JsonFormatter
from tests import factories
from tests.sso import helpers
from tests.wsgi import call

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(caplog, capfd):
    """Every line the platform writes: the request lines (straight to standard output) and the
    other loggers' records as the platform's formatter writes them."""
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()
    written = []

    def collect():
        written.extend(json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{"))
        return written + [json.loads(formatter.format(record)) for record in caplog.records]
    return collect


def test_each_request_is_one_json_line_with_the_request_id_it_was_given_or_a_new_one(lines):
    status, headers, _ = call("GET", "/health/live", X_Request_ID="edge-42.a")
    assert status == 200 and headers["X-Request-ID"] == "edge-42.a"
    status, headers, _ = call("GET", "/no/such/page", X_Request_ID="bad id\nwith a newline")
    made = headers["X-Request-ID"]
    assert status == 404 and made != "bad id\nwith a newline" and len(made) == 32
    every = lines()
    first, second = [line for line in every if line["logger"] == "idp.request"]
    assert first["request_id"] == "edge-42.a" and first["path"] == "/health/live" and first["status"] == 200
    assert first["method"] == "GET" and first["duration_ms"] >= 0 and first["client"] == "127.0.0.1"
    assert second["request_id"] == made and second["status"] == 404
    # Django's own warning about the 404, made during the request, carries the request's id.
    not_found = [line for line in every if line["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == made and not_found[0]["level"] == "WARNING"


def test_the_protocol_fast_path_is_logged_and_no_secret_reaches_the_log(lines):
    rp = helpers.oidc_client()
    status, _, body = call("POST", "/oidc/token", b"grant_type=client_credentials", Authorization=helpers.basic(rp))
    token = json.loads(body)["access_token"]
    call("POST", "/oidc/introspect", f"token={token}".encode(), Authorization=helpers.basic(rp))
    call("GET", "/oidc/authorize", query=f"client_id={rp.client.client_id}&code_challenge=SECRET-CHALLENGE")
    call("GET", "/password/set/SECRET-LINK-TOKEN/")
    call("POST", "/login/", b"login_name=someone&password=SECRET-PASSWORD")
    logged = [line for line in lines() if line["logger"] == "idp.request"]
    assert [line["path"] for line in logged] == ["/oidc/token", "/oidc/introspect", "/oidc/authorize",
                                                 "/password/set/[redacted]/", "/login/"]
    assert logged[0]["status"] == 200
    text = json.dumps(lines(), ensure_ascii=False)  # every line of every logger, as production writes them
    assert "/password/set/[redacted]/" in text
    for secret in (token, "SECRET-CHALLENGE", "SECRET-LINK-TOKEN", "SECRET-PASSWORD", rp.secret):
        assert secret not in text


def test_a_signed_in_request_names_the_account(lines, client):
    account = factories.natural_account(name="张三")
    client.force_login(account)
    session = client.cookies["sessionid"].value
    status, _, _ = call("GET", "/online/profile/", Cookie=f"sessionid={session}")
    assert status == 200
    assert [line.get("account_id") for line in lines() if line["logger"] == "idp.request"] == [account.pk]
