"""The one way the platform signs a token (compact JWS, RFC 7515 §7.1): access tokens
(oidc/tokens.py), ID tokens (oidc/server.py, on Authlib's claims) and logout tokens (logout.py).

Verification is keys.verify's: joserfc's for ES256 and RS256, core/gm.py's for SM2 (which no JOSE
library knows); the tests decode what this module signs with joserfc (and OpenSSL, for SM2).

Signing is done here rather than through joserfc because on the token endpoint's hot path its
generic, registry-checked pipeline cost more than the signature itself: the header segment of each
(alg, kid, typ) is encoded once and the signature made with `cryptography` directly.
"""

import base64
import json
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(_SHA256)
_PKCS1 = padding.PKCS1v15()


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@lru_cache(maxsize=32)  # a few keys at a time (current and next); rotated ones age out
def _header(alg: str, kid: str, typ: str) -> bytes:
    return _b64(json.dumps({"alg": alg, "kid": kid, "typ": typ}, separators=(",", ":")).encode())


def sign(claims: dict, key, *, typ: str) -> str:
    """`claims` signed with `key` (a private key of the ring: ES256 or RS256, a joserfc key; SM2,
    a core.gm.Sm2Key)."""
    alg = key.alg
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
    signing_input = _header(alg, key.kid, typ) + b"." + _b64(payload)
    if alg == "ES256":
        r, s = decode_dss_signature(key.private_key.sign(signing_input, _ECDSA_SHA256))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif alg == "RS256":
        signature = key.private_key.sign(signing_input, _PKCS1, _SHA256)
    elif alg == "SM2":
        signature = key.sign(signing_input)  # core/gm.py: SM2 over SM3, raw r‖s
    else:
        raise ValueError(f"cannot sign {alg}")
    return (signing_input + b"." + _b64(signature)).decode()
