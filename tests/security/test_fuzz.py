"""Issue 11, item 11: a bounded fuzz run over the protocol and JSON endpoints, through the
WSGI application production serves (config.wsgi), asserting that
no request gets a 5xx. Deterministic (fixed seed); IDP_FUZZ_CASES sets the count."""

import base64
import json
import os
import random
from urllib.parse import quote

import pytest

from tests import factories
from tests.sso import helpers
from tests.wsgi import call

pytestmark = pytest.mark.django_db

CASES = int(os.environ.get("IDP_FUZZ_CASES", "2500"))

ENDPOINTS = [
    ("GET", "/oidc/authorize"), ("POST", "/oidc/token"), ("POST", "/oidc/introspect"), ("POST", "/oidc/revoke"),
    ("GET", "/oidc/userinfo"), ("POST", "/oidc/userinfo"), ("GET", "/oidc/logout"), ("POST", "/oidc/logout"),
    ("GET", "/.well-known/openid-configuration"), ("GET", "/oidc/jwks"),
    ("GET", "/cas/login"), ("GET", "/cas/logout"), ("GET", "/cas/validate"), ("GET", "/cas/serviceValidate"),
    ("GET", "/cas/p3/serviceValidate"), ("GET", "/cas/proxyValidate"), ("GET", "/cas/p3/proxyValidate"),
    ("GET", "/cas/proxy"), ("GET", "/api/check/login-name"), ("GET", "/api/check/id-number"),
    ("GET", "/api/check/uscc"), ("GET", "/api/check/mobile"), ("POST", "/api/migration/lookup"),
    ("POST", "/api/sms/send"),
]
KEYS = ["client_id", "client_secret", "response_type", "redirect_uri", "scope", "state", "nonce", "code",
        "code_verifier", "code_challenge", "code_challenge_method", "grant_type", "refresh_token", "token",
        "token_type_hint", "prompt", "max_age", "id_token_hint", "post_logout_redirect_uri", "service", "ticket",
        "pgtUrl", "pgt", "targetService", "renew", "gateway", "format", "value", "id_type", "kind", "uscc",
        "mobile", "phone", "purpose", "captcha_0", "captcha_1", "request", "response_mode", "ui_locales",
        "login_hint", "claims", "acr_values"]
VALUES = ["", "\x00", "fuzz-rp\x00", "é", "%", "💥", "x" * 5000, "' OR 1=1 --", "<script>alert(1)</script>",
          "fuzz-rp", helpers.REDIRECT, helpers.SERVICE, "S256", "plain", "code", "code id_token", "token", "none",
          "login consent", "-1", "99999999999999999999999", "authorization_code", "refresh_token",
          "client_credentials", "ST-" + "A" * 40, "PT-" + "b" * 40, "PGT-x", "https://evil.example/",
          "javascript:alert(1)", "true", "JSON", "XML", "{}", "[]", "null", "openid profile", "openid",
          "access_token", "refresh_token", "eyJhbGciOiJub25lIn0.e30.", "a.b.c", "\u202e", "\ud7ff", "\t\n",
          "91110108MA01ET88XL", "13900139000", "resident_id", "register", "enterprise", "person"]
RAW = ["%ff", "%ed%a0%80", "%c3%28", "%00", "%", "%zz", "%e2%80%ae", "+", "&&", "=="]


def _text(rng):
    if rng.random() < 0.15:
        return None  # a raw percent-encoded fragment instead
    value = rng.choice(VALUES)
    if rng.random() < 0.2:
        value += rng.choice(VALUES)
    return value


def _query(rng) -> str:
    parts = []
    for _ in range(rng.randint(0, 8)):
        key, value = rng.choice(KEYS), _text(rng)
        parts.append(f"{quote(key)}={rng.choice(RAW) if value is None else quote(value, safe='')}")
    if rng.random() < 0.1:
        parts.append(rng.choice(RAW))
    return "&".join(parts)


def _authorization(rng) -> dict:
    roll = rng.random()
    if roll < 0.5:
        return {}
    if roll < 0.8:
        raw = f"{rng.choice(VALUES)}:{rng.choice(VALUES)}".encode("utf-8", "surrogatepass")
        return {"AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}
    return {"AUTHORIZATION": rng.choice(["Basic !!!", "Bearer " + rng.choice(VALUES[:30]), "Bearer", "Digest x"])}


def _json_body(rng) -> bytes:
    roll = rng.random()
    if roll < 0.6:
        return json.dumps({rng.choice(KEYS): rng.choice(VALUES) for _ in range(rng.randint(0, 4))}).encode()
    return rng.choice([b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"kind": 1}', b'"x"', b"1e999999"])


def test_no_request_gets_a_5xx():
    helpers.oidc_client("fuzz-rp")
    helpers.cas_client("fuzz-cas")
    factories.natural_account("fuzz_user")
    rng = random.Random(20261201)
    failures = []
    for _ in range(CASES):
        method, path = rng.choice(ENDPOINTS)
        query = _query(rng)
        headers = _authorization(rng)
        if path == "/api/migration/lookup":
            body, content_type = _json_body(rng), "application/json"
        elif method == "POST":
            body, content_type = _query(rng).encode(), "application/x-www-form-urlencoded"
        else:
            body, content_type = b"", None
        status, _, content = call(method, path, body, query=query, content_type=content_type, **headers)
        if status >= 500:
            failures.append((method, path, query, body[:200], headers, content[:200]))
    assert failures == [], failures[:5]


def test_the_reported_cases_are_clear_400s(client):
    """The outside test's 500s: a non-ASCII response_type (Authlib ValueError) and a NUL in
    client_id (PostgreSQL DataError) — a page where a browser is sent, JSON for back ends."""
    page = client.get("/oidc/authorize?response_type=%C3%A9&client_id=x")
    assert page.status_code == 400 and "invalid_request" in page.content.decode()
    assert page["Content-Type"].startswith("text/html")
    for path in ("/oidc/token", "/oidc/introspect", "/oidc/revoke"):
        answer = client.post(path, {"client_id": "rp\x00", "token": "t", "grant_type": "client_credentials"})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request", path
    status, headers, body = call("POST", "/oidc/token", b"client_id=rp%00&grant_type=client_credentials")
    assert status == 400 and json.loads(body)["error"] == "invalid_request"
    assert client.get("/oidc/logout", {"client_id": "a\x00"}).status_code == 400
