"""The ID token checks of the relying party (upstream.verify_id_token), each against a token an
upstream could send: a stand-in upstream in this process serves discovery, its JWKS and a
token endpoint that answers with the token the test made. Every bad token ends on the failure
page, with nobody signed in."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from idp.federation import registration
from idp.federation.models import FederatedIdentity

pytestmark = pytest.mark.django_db


class StandIn:
    """Discovery, JWKS and a token endpoint; `token(nonce)` makes the ID token it answers with."""

    def __init__(self):
        self.key = ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256", "use": "sig"})
        self.token = None
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    self._json({"issuer": stand_in.issuer, "authorization_endpoint": stand_in.issuer + "/auth",
                                "token_endpoint": stand_in.issuer + "/token", "jwks_uri": stand_in.issuer + "/jwks",
                                "id_token_signing_alg_values_supported": ["ES256", "HS256", "none"],
                                "response_types_supported": ["code"]})
                else:
                    self._json({"keys": [stand_in.key.as_dict(private=False)]})

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._json({"access_token": "", "token_type": "Bearer", "id_token": stand_in.token})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    server = StandIn()
    registration.register(code="nation", fields={
        "name": "国家政务服务平台", "issuer": server.issuer, "client_id": "idp-platform", "client_secret": "s" * 32,
        "trusted": True})
    yield server
    server.close()


def callback_with(client, stand_in, make_token):
    """Begin a login, let the upstream answer with make_token(nonce), come back."""
    start = client.get("/federation/nation/login")
    query = parse_qs(urlsplit(start["Location"]).query)
    stand_in.token = make_token(query["nonce"][0])
    return client.get("/federation/nation/callback", {"code": "c0de", "state": query["state"][0]})


def claims(stand_in, expected_nonce, **changes):
    now = int(time.time())
    base = {"iss": stand_in.issuer, "sub": "person-1", "aud": "idp-platform", "iat": now, "exp": now + 300,
            "nonce": expected_nonce}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(key, body, alg="ES256", kid="k1"):
    return jwt.encode({"alg": alg, "kid": kid}, body, key)


def test_a_good_token_is_accepted(client, stand_in):
    response = callback_with(client, stand_in, lambda nonce: signed(stand_in.key, claims(stand_in, nonce)))
    assert response.status_code == 302 and response["Location"] == "/federation/link/"


FORGERIES = {
    "signed by another key": lambda s, n: signed(ECKey.generate_key("P-256"), claims(s, n)),
    "wrong audience": lambda s, n: signed(s.key, claims(s, n, aud="another-client")),
    "audiences without us as azp": lambda s, n: signed(s.key, claims(s, n, aud=["idp-platform", "x"], azp="x")),
    "wrong issuer": lambda s, n: signed(s.key, claims(s, n, iss="https://evil.example")),
    "expired": lambda s, n: signed(s.key, claims(s, n, exp=int(time.time()) - 3600)),
    "issued in the future": lambda s, n: signed(s.key, claims(s, n, iat=int(time.time()) + 3600)),
    "another login's nonce": lambda s, n: signed(s.key, claims(s, "other-nonce")),
    "no nonce": lambda s, n: signed(s.key, claims(s, n, nonce=None)),
    "no subject": lambda s, n: signed(s.key, claims(s, n, sub=None)),
    "HS256 with the client secret": lambda s, n: signed(OctKey.import_key("s" * 32), claims(s, n), alg="HS256"),
    "alg none": lambda s, n: ".".join([b64(b'{"alg":"none"}'), b64(json.dumps(claims(s, n)).encode()), ""]),
    "not a JWT": lambda s, n: "not-a-token",
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_bad_id_token_is_refused(client, stand_in, forgery):
    response = callback_with(client, stand_in, lambda nonce: FORGERIES[forgery](stand_in, nonce))
    assert response.status_code == 400
    assert "未通过校验" in response.content.decode() and "使用账号密码登录" in response.content.decode()
    assert SESSION_KEY not in client.session and not FederatedIdentity.objects.exists()
    assert "federation_pending" not in client.session


def test_an_issuer_parameter_naming_another_provider_is_a_mix_up(client, stand_in):
    start = client.get("/federation/nation/login")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get("/federation/nation/callback", {"code": "c", "state": state, "iss": "https://evil.example"})
    assert response.status_code == 400 and SESSION_KEY not in client.session


def test_registering_an_issuer_whose_discovery_names_another_is_refused(stand_in):
    with pytest.raises(registration.RegistrationError):
        registration.register(code="other", fields={"name": "x", "issuer": stand_in.issuer + "/", "client_id": "a",
                                                    "client_secret": "b"})
