"""The hot-path signer makes tokens that joserfc (and so any JOSE library) verifies."""

import pytest
from joserfc import jwt

from idp.sso import jws, keys

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_what_jws_signs_joserfc_verifies(alg):
    keys.ensure_keys()
    key = keys.signing_key(alg)
    claims = {"iss": "https://id.example.cn", "sub": "s1", "name": "张三", "iat": 1, "exp": 2}
    token = jws.sign(claims, key, typ="at+jwt")
    decoded = jwt.decode(token, keys.public_keys(), algorithms=[alg])
    assert decoded.claims == claims
    assert decoded.header == {"alg": alg, "kid": key.kid, "typ": "at+jwt"}
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception):  # noqa: B017 - any verification error will do
        jwt.decode(tampered, keys.public_keys(), algorithms=[alg])
