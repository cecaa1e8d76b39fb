"""The floor under the platform's token endpoint: granian and Python with no framework at all.

`make bench` (bench/side_by_side.py) serves this module like the platform, on core 0, and sends it
the harness's client_credentials requests. FLOOR_SIGN=0: a fixed token (granian's own cost);
FLOOR_SIGN=1: an ES256-signed token made per request as the platform makes them (the signature and
its JSON, nothing else). Client authentication, grant checks, logging and metrics are all left
out, so no Python server that issues signed tokens can answer faster than the second figure.
"""

import base64
import json
import os
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

BASE = os.environ.get("FLOOR_BASE", "http://127.0.0.1:8098")
SIGN = os.environ.get("FLOOR_SIGN", "1") == "1"
DISCOVERY = json.dumps({"issuer": BASE, "token_endpoint": BASE + "/token", "jwks_uri": BASE + "/jwks",
                        "introspection_endpoint": BASE + "/introspect"}).encode()
FIXED = b'{"token_type":"Bearer","access_token":"fixed","expires_in":3600}'
KEY = ec.generate_private_key(ec.SECP256R1())
HEADER = base64.urlsafe_b64encode(b'{"alg":"ES256","typ":"at+jwt","kid":"floor"}').rstrip(b"=")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def signed_token() -> bytes:
    now = int(time.time())
    claims = {"iss": BASE, "sub": "bench", "aud": "bench", "client_id": "bench", "iat": now, "exp": now + 3600,
              "jti": os.urandom(16).hex()}
    signing_input = HEADER + b"." + _b64(json.dumps(claims, separators=(",", ":")).encode())
    r, s = decode_dss_signature(KEY.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    token = signing_input + b"." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    return json.dumps({"token_type": "Bearer", "access_token": token.decode(), "expires_in": 3600},
                      separators=(",", ":")).encode()


def application(environ, start_response):
    if environ["PATH_INFO"] == "/.well-known/openid-configuration":
        body = DISCOVERY
    else:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        body = signed_token() if SIGN else FIXED
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                              ("Cache-Control", "no-store")])
    return [body]
