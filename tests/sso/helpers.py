"""Registering relying parties and walking the browser side of the protocols in tests."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

from idp.sso import clients

REDIRECT = "https://rp.example.test/callback"
SERVICE = "https://cas-rp.example.test/app/"


def oidc_client(code="rp-oidc", *, redirect_uris=(REDIRECT,), public=False, **fields):
    fields.setdefault("requires_realname", False)
    return clients.register(name=f"测试系统 {code}", code=code, protocol="oidc", redirect_uris=redirect_uris,
                            public=public, **fields)


def cas_client(code="rp-cas", *, service=SERVICE, **fields):
    fields.setdefault("requires_realname", False)
    return clients.register(name=f"测试系统 {code}", code=code, protocol="cas", service_pattern=service, **fields)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize(client_http, registration, *, challenge, scope="openid profile", nonce="n-1", state="s-1",
              redirect_uri=REDIRECT, **extra):
    params = {"response_type": "code", "client_id": registration.client.client_id, "redirect_uri": redirect_uri,
              "scope": scope, "state": state, "nonce": nonce, "code_challenge": challenge,
              "code_challenge_method": "S256", **extra}
    return client_http.get("/oidc/authorize", params)


def basic(registration) -> str:
    raw = f"{registration.client.client_id}:{registration.secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()
