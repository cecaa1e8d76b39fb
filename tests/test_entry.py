"""The one way in (config/entry.py): every path of config.wsgi.application goes through Django's
request handling — the host check, the body limit, the security headers, the language and the
error answers — the machine endpoints along their short middleware list."""

import json
import tempfile
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings

from tests.sso import helpers
from tests.wsgi import _application, _connection_kept, call

pytestmark = pytest.mark.django_db

# Every machine endpoint, and pages of each kind: a form, a protocol page, the home page, a miss.
EVERY_KIND_OF_PATH = [*settings.MACHINE_PATHS, "/login/", "/oidc/authorize", "/cas/login", "/", "/no/such/page"]


@pytest.mark.parametrize("path", EVERY_KIND_OF_PATH)
def test_a_host_not_allowed_is_refused_on_every_path(path):
    """Issue 26: through config.wsgi the protocol endpoints answered Host: evil.example."""
    status, headers, body = call("GET", path, host="evil.example")
    assert status == 400, (path, status, body[:200])
    if path in settings.MACHINE_PATHS:
        assert json.loads(body) == {"error": "invalid_request"}


def test_probes_may_name_the_node_by_its_address_but_not_by_another_name():
    assert call("GET", "/health/live", host="10.1.2.3:8000")[0] == 200
    assert call("GET", "/health/live", host="[fd00::1]:8000")[0] == 200
    assert call("GET", "/oidc/jwks", host="10.1.2.3:8000")[0] == 400  # only the probes


def test_documents_are_served_with_the_common_headers():
    status, headers, body = call("GET", "/.well-known/openid-configuration")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["jwks_uri"].endswith("/oidc/jwks")
    status, headers, body = call("GET", "/oidc/jwks")
    assert status == 200 and headers["Content-Type"] == "application/jwk-set+json" and json.loads(body)["keys"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"
    assert headers["Content-Language"] == "zh-hans"  # the language middleware ran


def test_the_token_endpoint_answers_through_the_machine_list():
    rp = helpers.oidc_client()
    status, headers, body = call("POST", "/oidc/token", b"grant_type=client_credentials",
                                 Authorization=helpers.basic(rp))
    assert status == 200 and headers["Cache-Control"] == "no-store" and "access_token" in json.loads(body)
    assert "Set-Cookie" not in headers  # no session, no CSRF cookie
    status, headers, body = call("POST", "/oidc/token", b"grant_type=client_credentials")
    assert status == 401 and json.loads(body)["error"] == "invalid_client"


def test_machine_endpoints_answer_their_errors_as_json():
    status, _, body = call("GET", "/oidc/token")
    assert status == 405 and json.loads(body)["error"] == "invalid_request"
    status, _, body = call("GET", "/oidc/token", query="x=%00")
    assert status == 400 and json.loads(body)["error"] == "invalid_request"


def _spooled() -> set:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir()}


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "----b"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode()
    return body + b"x" * size + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_body_over_the_limit_is_refused_before_it_is_read():
    """Issue 25 N1: a 2 GB multipart body to /oidc/token was read for 8 s and left on disk."""
    length = 2 * 1024 ** 3

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    for path in ("/oidc/token", "/login/", "/online/verification/", "/api/migration/lookup"):
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "wsgi.input": Unreadable(),
                   "CONTENT_LENGTH": str(length), "CONTENT_TYPE": "multipart/form-data; boundary=x",
                   "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_ACCEPT": "text/html"}
        setup_testing_defaults(environ)
        answered = {}

        def start_response(status, headers, exc_info=None, answered=answered):
            answered.update(status=status, headers=dict(headers))

        with _connection_kept():
            result = _application()(environ, start_response)
            content = b"".join(result)
            result.close()
        expected = "302" if path == "/online/verification/" else "413"  # anonymous: sent to log in
        assert answered["status"].startswith(expected), (path, answered, content[:200])
        assert answered["headers"]["Connection"] == "close"


def test_file_parts_sent_to_an_endpoint_that_takes_none_never_reach_the_disk(monkeypatch):
    rp = helpers.oidc_client()
    before = _spooled()
    body, content_type = _multipart(900 * 1024)
    status, _, content = call("POST", "/oidc/token", body, content_type=content_type,
                              Authorization=helpers.basic(rp))
    assert status == 200, content  # the form fields were read; the file part was dropped
    body, content_type = _multipart(3 * 1024 * 1024)
    status, _, content = call("POST", "/oidc/token", body, content_type=content_type,
                              Authorization=helpers.basic(rp))
    assert status == 413 and json.loads(content)["error"] == "invalid_request"
    assert _spooled() == before


def test_other_paths_go_through_the_page_middleware():
    status, headers, body = call("GET", "/login/")
    assert status == 200 and "自然人登录" in body.decode()
    assert "csrftoken" in headers.get("Set-Cookie", "")
    assert "Content-Security-Policy" in headers
