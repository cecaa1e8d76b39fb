"""The WSGI entry point (config.wsgi.application) serves the protocol endpoints without the
browser middleware and passes everything else to Django."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections

from config.wsgi import application
from tests.sso import helpers

pytestmark = pytest.mark.django_db


def call(method, path, body=b"", *, query="", content_type=None, **headers):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body)), "SERVER_NAME": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
               "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1"}
    if body or content_type:
        environ["CONTENT_TYPE"] = content_type or "application/x-www-form-urlencoded"
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    setup_testing_defaults(environ)
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = int(status.split()[0]), dict(response_headers)

    # As Django's test client does: the test's database connection must survive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, start_response)
        content = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], content


def test_documents_are_served_as_built_bytes():
    status, headers, body = call("GET", "/.well-known/openid-configuration")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["jwks_uri"].endswith("/oidc/jwks")
    status, headers, body = call("GET", "/oidc/jwks")
    assert status == 200 and headers["Content-Type"] == "application/jwk-set+json" and json.loads(body)["keys"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_token_endpoint_through_the_fast_path():
    rp = helpers.oidc_client()
    status, headers, body = call("POST", "/oidc/token", b"grant_type=client_credentials",
                                 Authorization=helpers.basic(rp))
    assert status == 200 and headers["Cache-Control"] == "no-store" and "access_token" in json.loads(body)
    status, headers, body = call("POST", "/oidc/token", b"grant_type=client_credentials")
    assert status == 401 and json.loads(body)["error"] == "invalid_client"


def test_an_oversized_body_is_400_json_not_500():
    status, headers, body = call("POST", "/oidc/token", b"token=" + b"x" * (2 * 1024 * 1024))
    assert status == 400 and json.loads(body) == {"error": "invalid_request"}


def test_other_paths_go_through_django():
    status, headers, body = call("GET", "/login/")
    assert status == 200 and "自然人登录" in body.decode()
    assert "csrftoken" in headers.get("Set-Cookie", "")
