"""国密 tokens (CONTRACT.md): a business system registered with `--signing-alg SM2` gets ID, access
and logout tokens signed SM2 — checked from outside by Debian's OpenSSL and by npm sm-crypto, and
refused by both once one byte is flipped; every other system keeps RS256/ES256."""

import base64
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command
from tongsuopy.crypto import serialization
from tongsuopy.crypto.asymciphers import ec

from idp.sso import keys, logout
from idp.sso.models import Client
from tests import factories
from tests.oidc.test_oidc import _code, _introspect, _tokens
from tests.sso import helpers

pytestmark = pytest.mark.django_db
SM_CRYPTO = Path(__file__).resolve().parents[1] / "interop" / "gm"


@pytest.fixture
def sm2_rp():
    return helpers.oidc_client("rp-sm2", id_token_alg="SM2", backchannel_logout_uri="https://rp.example.test/bcl")


@pytest.fixture
def person(client):
    account = factories.natural_account(name="张三")
    client.force_login(account)
    return account


def b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def published_sm2_key(client, kid: str) -> dict:
    jwks = client.get("/oidc/jwks").json()
    [jwk] = [k for k in jwks["keys"] if k["kid"] == kid]
    return jwk


def openssl_verifies(jwk: dict, token: str, tmp_path: Path) -> bool:
    """As an assessor would: the JWK as an SPKI PEM, r‖s as DER, `openssl pkeyutl -rawin -digest sm3`."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is missing")
    x, y = (int.from_bytes(b64(jwk[c]), "big") for c in ("x", "y"))
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SM2()).public_key()
    (tmp_path / "pk.pem").write_bytes(public.public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    head, body, signature = token.split(".")
    raw = b64(signature)
    (tmp_path / "sig.der").write_bytes(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                                            int.from_bytes(raw[32:], "big")))
    (tmp_path / "input.bin").write_bytes(f"{head}.{body}".encode())
    result = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pk.pem", "-rawin", "-digest", "sm3",
                             "-in", "input.bin", "-sigfile", "sig.der", "-pkeyopt", "distid:1234567812345678"],
                            cwd=tmp_path, capture_output=True, text=True)
    return result.returncode == 0 and "Signature Verified Successfully" in result.stdout


def sm_crypto_verifies(jwk: dict, token: str) -> bool:
    if shutil.which("node") is None or not (SM_CRYPTO / "node_modules" / "sm-crypto").exists():
        message = "sm-crypto is missing (cd tests/interop/gm && npm ci; make test does)"
        if os.environ.get("IDP_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip("SKIPPED: " + message)
    result = subprocess.run(["node", "verify.mjs", json.dumps(jwk), token], cwd=SM_CRYPTO, capture_output=True,
                            text=True, timeout=30)
    return result.stdout.strip() == "valid"


def flipped(token: str) -> str:
    """One byte of the payload changed."""
    head, body, signature = token.split(".")
    payload = bytearray(b64(body))
    payload[5] ^= 0x01
    return ".".join([head, base64.urlsafe_b64encode(bytes(payload)).rstrip(b"=").decode(), signature])


def test_the_jwks_carries_an_sm2_key_only_while_a_system_signs_with_it(client):
    from joserfc.jwk import KeySet

    assert "SM2" in client.get("/.well-known/openid-configuration").json()["id_token_signing_alg_values_supported"]
    plain = client.get("/oidc/jwks").json()
    assert not [k for k in plain["keys"] if k.get("crv") == "SM2"]
    KeySet.import_key_set(plain)  # JOSE libraries that know no SM2 refuse a whole set with one
    rp = helpers.oidc_client("rp-sm2-jwks", id_token_alg="SM2")
    sm2 = [k for k in client.get("/oidc/jwks").json()["keys"] if k.get("crv") == "SM2"]
    assert len(sm2) == 1 and sm2[0]["kty"] == "EC" and sm2[0]["alg"] == "SM2" and sm2[0]["use"] == "sig"
    assert "d" not in sm2[0] and len(b64(sm2[0]["x"])) == len(b64(sm2[0]["y"])) == 32
    rp.client.delete()
    assert not [k for k in client.get("/oidc/jwks").json()["keys"] if k.get("crv") == "SM2"]


def test_id_and_access_tokens_are_sm2_and_verified_from_outside(client, sm2_rp, person, tmp_path):
    body = _tokens(client, sm2_rp)
    for token in (body["id_token"], body["access_token"]):
        header = json.loads(b64(token.split(".")[0]))
        assert header["alg"] == "SM2" and len(b64(token.split(".")[2])) == 64
        jwk = published_sm2_key(client, header["kid"])
        assert openssl_verifies(jwk, token, tmp_path)
        assert not openssl_verifies(jwk, flipped(token), tmp_path)
        assert sm_crypto_verifies(jwk, token) and not sm_crypto_verifies(jwk, flipped(token))
    claims = json.loads(b64(body["id_token"].split(".")[1]))
    assert claims["at_hash"] and sm2_rp.client.client_id in (claims["aud"] if isinstance(claims["aud"], list)
                                                             else [claims["aud"]])
    # The platform reads its own SM2 tokens: introspection and userinfo.
    assert _introspect(client, sm2_rp, body["access_token"])["active"] is True
    assert _introspect(client, sm2_rp, flipped(body["access_token"]))["active"] is False
    userinfo = client.get("/oidc/userinfo", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert userinfo.status_code == 200 and userinfo.json()["name"] == "张三"


def test_client_credentials_and_refresh_stay_sm2(client, sm2_rp, person):
    body = _tokens(client, sm2_rp)
    refreshed = client.post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                            HTTP_AUTHORIZATION=helpers.basic(sm2_rp)).json()
    machine = client.post("/oidc/token", {"grant_type": "client_credentials"},
                          HTTP_AUTHORIZATION=helpers.basic(sm2_rp)).json()
    for token in (refreshed["access_token"], machine["access_token"]):
        assert json.loads(b64(token.split(".")[0]))["alg"] == "SM2"
    assert _introspect(client, sm2_rp, machine["access_token"])["active"] is True


def test_logout_tokens_of_an_sm2_system_are_sm2(client, sm2_rp, person):
    _tokens(client, sm2_rp)
    from idp.sso.models import SsoSession

    session = SsoSession.objects.get(account=person)
    token = logout.logout_token(Client.objects.get(pk=sm2_rp.client.pk), session.sid, "sub-1")
    header, claims = keys.verify(token, algorithms=["SM2"])
    assert header["typ"] == "logout+jwt" and claims["sid"] == session.sid


def test_an_sm2_id_token_is_a_good_hint_for_the_authorization_and_the_logout(client, person):
    rp = helpers.oidc_client("rp-sm2-out", id_token_alg="SM2", post_logout_redirect_uris=["https://rp.example.test/bye"])
    id_token = _tokens(client, rp)["id_token"]
    query, _ = _code(client, rp, id_token_hint=id_token, prompt="none")
    assert "code" in query
    forged = client.get("/oidc/logout", {"id_token_hint": flipped(id_token),
                                         "post_logout_redirect_uri": "https://rp.example.test/bye"})
    assert forged.status_code == 400 and "_auth_user_id" in client.session
    response = client.get("/oidc/logout", {"id_token_hint": id_token, "post_logout_redirect_uri": "https://rp.example.test/bye"})
    assert response.status_code == 302 and response["Location"] == "https://rp.example.test/bye"
    assert "_auth_user_id" not in client.session


def test_other_systems_keep_rs256_and_es256(client, person):
    rp = helpers.oidc_client("rp-plain")
    body = _tokens(client, rp)
    assert json.loads(b64(body["id_token"].split(".")[0]))["alg"] == "RS256"
    assert json.loads(b64(body["access_token"].split(".")[0]))["alg"] == "ES256"


def test_the_registration_command_takes_signing_alg_sm2(client):
    out = io.StringIO()
    call_command("register_business_system", "--name", "国密系统", "--protocol", "oidc", "--code", "gm-system",
                 "--redirect-uri", helpers.REDIRECT, "--signing-alg", "SM2", stdout=out)
    assert Client.objects.get(client_id="gm-system").id_token_alg == "SM2"


def test_crypto_selftest_passes_and_a_wrong_answer_fails(monkeypatch):
    out = io.StringIO()
    call_command("crypto_selftest", stdout=out)
    assert "SM2 signature (GB/T 32918.5 A.2)" in out.getvalue() and "FAIL" not in out.getvalue()
    from django.core.management import CommandError

    from idp.core import gm

    monkeypatch.setattr(gm, "KNOWN_ANSWERS", [*gm.KNOWN_ANSWERS, ("a wrong answer", lambda: False)])
    with pytest.raises(CommandError, match="a wrong answer"):
        call_command("crypto_selftest", stdout=io.StringIO())


