"""Issue 25, D1–D15: where the platform differed from OIDC Core, RFC 6749/6750/7617 and CAS 3.0
as the OpenID Foundation's conformance suite and strict clients check them. Each test failed
on the code the outside testers saw."""

import base64
import json
from urllib.parse import quote

import pytest
from joserfc import jwt

from idp.delegation.services import create_grants
from idp.sso import claims, keys
from tests import factories
from tests.oidc.test_oidc import _code, _exchange
from tests.sso import helpers
from tests.wsgi import ProductionClient, call

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    account = factories.verified(factories.natural_account(name="张三"))
    client.force_login(account)
    return account


@pytest.fixture
def rp():
    return helpers.oidc_client("rp-conform")


def _params(rp, challenge, **extra):
    return {"response_type": "code", "client_id": rp.client.client_id, "redirect_uri": helpers.REDIRECT,
            "scope": "openid profile", "state": "s-1", "nonce": "n-1", "code_challenge": challenge,
            "code_challenge_method": "S256", **extra}


# --- D1–D3: the authorization request ------------------------------------------------------------

def test_d1_an_authorization_request_sent_as_a_form_post_is_served(person, rp):
    """OIDC Core §3.1.2.1: GET and POST. A cross-site form carries no CSRF token."""
    browser = ProductionClient(browser_forms=False)
    browser.force_login(person)
    verifier, challenge = helpers.pkce_pair()
    response = browser.post("/oidc/authorize", _params(rp, challenge), HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 302, response.content[:300]
    answer = helpers.query_of(response["Location"])
    assert answer["state"] == "s-1" and _exchange(browser, rp, answer["code"], verifier).status_code == 200


def test_d1_a_posted_request_of_a_signed_out_person_comes_back_as_a_get_after_the_login(rp):
    browser = ProductionClient(browser_forms=False)
    _, challenge = helpers.pkce_pair()
    response = browser.post("/oidc/authorize", _params(rp, challenge))
    assert response["Location"].startswith("/login/?")
    back = helpers.query_of(helpers.query_of(response["Location"])["next"])
    assert back["client_id"] == rp.client.client_id and back["code_challenge"] == challenge


def test_d1_the_persons_own_answers_still_need_their_csrf_token(person):
    """Exempting the protocol request from CSRF must not exempt the whom-to-act-for choice."""
    rp = helpers.oidc_client("rp-delegable", delegable=True)
    org = factories.verified(factories.legal_account(name="代办科技有限公司"))
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    forger = ProductionClient(browser_forms=False)
    forger.force_login(person)
    _, challenge = helpers.pkce_pair()
    response = forger.post("/oidc/authorize?" + "&".join(f"{k}={v}" for k, v in _params(rp, challenge).items()),
                           {"acting_for": str(org.pk)})
    assert response.status_code == 403


def test_d2_an_openid_request_without_redirect_uri_is_refused(client, person, rp):
    _, challenge = helpers.pkce_pair()
    params = _params(rp, challenge)
    del params["redirect_uri"]
    response = client.get("/oidc/authorize", params)
    assert response.status_code == 400 and "redirect_uri" in response.content.decode()


def _id_token(client, rp, **extra) -> str:
    query, verifier = _code(client, rp, **extra)
    return _exchange(client, rp, query["code"], verifier).json()["id_token"]


def test_d3_a_hint_with_a_broken_signature_is_invalid_request(client, person, rp):
    token = _id_token(client, rp)
    head, body, signature = token.split(".")
    broken = f"{head}.{body}.{signature[:-4]}AAAA"
    _, challenge = helpers.pkce_pair()
    answer = helpers.query_of(helpers.authorize(client, rp, challenge=challenge, prompt="none",
                                                id_token_hint=broken)["Location"])
    assert answer["error"] == "invalid_request"


def test_d3_a_hint_naming_the_organisation_is_not_answered_for_the_person(client, person):
    """With prompt=none and the organisation's ID token the person must not get a code for themselves."""
    rp = helpers.oidc_client("rp-org-hint", delegable=True)
    org = factories.verified(factories.legal_account(name="提示科技有限公司"))
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    verifier, challenge = helpers.pkce_pair()
    chooser = helpers.authorize(client, rp, challenge=challenge)
    chosen = client.post(chooser.wsgi_request.get_full_path(), {"acting_for": str(org.pk)})
    org_token = _exchange(client, rp, helpers.query_of(chosen["Location"])["code"], verifier).json()["id_token"]
    assert jwt.decode(org_token, keys.public_keys()).claims["sub"] == claims.subject(org)

    # The hint chooses the organisation: a code for it, silently, with no chooser.
    verifier, challenge = helpers.pkce_pair()
    answer = helpers.query_of(helpers.authorize(client, rp, challenge=challenge, prompt="none",
                                                id_token_hint=org_token)["Location"])
    id_token = _exchange(client, rp, answer["code"], verifier).json()["id_token"]
    assert jwt.decode(id_token, keys.public_keys()).claims["sub"] == claims.subject(org)

    # Once the grant is gone, the hint names an identity the person no longer has here.
    from idp.delegation.models import Grant
    from idp.delegation.services import revoke_grant

    revoke_grant(organisation=org, grant_id=Grant.objects.get(organisation=org, person=person).pk, actor=org)
    _, challenge = helpers.pkce_pair()
    answer = helpers.query_of(helpers.authorize(client, rp, challenge=challenge, prompt="none",
                                                id_token_hint=org_token)["Location"])
    assert answer["error"] == "login_required"


def test_d3_a_hint_naming_someone_else_is_login_required(client, person, rp):
    other = ProductionClient()
    other.force_login(factories.verified(factories.natural_account(name="李四")))
    someone_elses = _id_token(other, rp)
    _, challenge = helpers.pkce_pair()
    for prompt in ("none", None):
        extra = {"prompt": prompt} if prompt else {}
        answer = helpers.query_of(helpers.authorize(client, rp, challenge=challenge, id_token_hint=someone_elses,
                                                    **extra)["Location"])
        assert answer["error"] == "login_required"
    own = _id_token(client, rp)
    assert "code" in helpers.query_of(helpers.authorize(client, rp, challenge=challenge, prompt="none",
                                                        id_token_hint=own)["Location"])


# --- D4, D9–D15: the token, userinfo and discovery endpoints -------------------------------------

def _refresh(rp, token, **extra):
    body = "&".join([f"grant_type=refresh_token&refresh_token={token}",
                     *(f"{k}={v}" for k, v in extra.items())]).encode()
    status, _, content = call("POST", "/oidc/token", body, Authorization=helpers.basic(rp))
    return status, json.loads(content)


def test_d4_a_refresh_refused_for_its_scope_does_not_spend_the_token(client, person, rp):
    query, verifier = _code(client, rp, scope="openid")
    refresh = _exchange(client, rp, query["code"], verifier).json()["refresh_token"]
    status, body = _refresh(rp, refresh, scope="openid+profile")
    assert status == 400 and body["error"] == "invalid_scope"
    status, body = _refresh(rp, refresh)
    assert status == 200 and body["refresh_token"] != refresh


@pytest.mark.parametrize("body,error", [
    (b"client_id=x", "invalid_request"),  # D9: no grant_type
    (b"grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),  # D10
    (b"grant_type=client_credentials&scope=openid&scope=profile", "invalid_request"),  # D10
    (b"grant_type=client_credentials&scope=admin", "invalid_scope"),  # D11
])
def test_d9_to_d11_malformed_token_requests(rp, body, error):
    status, _, content = call("POST", "/oidc/token", body, Authorization=helpers.basic(rp))
    assert status == 400 and json.loads(content)["error"] == error


def test_d11_a_known_scope_is_granted_and_named(rp):
    status, _, content = call("POST", "/oidc/token", b"grant_type=client_credentials&scope=profile",
                              Authorization=helpers.basic(rp))
    assert status == 200 and json.loads(content)["scope"] == "profile"


def test_client_credentials_answers_like_the_other_grants(rp):
    """client_credentials runs outside Authlib's grant pipeline (oidc/client_credentials.py): its
    answers are the same as the grants Authlib runs."""
    status, headers, content = call("POST", "/oidc/token", b"grant_type=client_credentials&scope=openid%20profile",
                                    Authorization=helpers.basic(rp))
    body = json.loads(content)
    assert status == 200 and body["scope"] == "openid profile" and body["token_type"] == "Bearer"
    assert headers["Cache-Control"] == "no-store" and headers["Pragma"] == "no-cache"
    # RFC 6749 §2.3.1: the Basic credentials are form-encoded.
    encoded = "Basic " + base64.b64encode(f"{rp.client.client_id}:{quote(rp.secret, safe='')}".encode()).decode()
    assert call("POST", "/oidc/token", b"grant_type=client_credentials", Authorization=encoded)[0] == 200
    # A public client has no secret to authenticate with.
    spa = helpers.oidc_client("spa-cc", public=True)
    status, headers, content = call("POST", "/oidc/token",
                                    f"grant_type=client_credentials&client_id={spa.client.client_id}".encode())
    assert status == 401 and json.loads(content)["error"] == "invalid_client"
    assert headers["WWW-Authenticate"].startswith('Basic realm="')
    # A secret for another client does not authenticate this one, by either method.
    other = helpers.oidc_client("rp-other")
    mixed = f"grant_type=client_credentials&client_id={rp.client.client_id}&client_secret={other.secret}"
    assert call("POST", "/oidc/token", mixed.encode())[0] == 401


def test_d13_a_token_in_both_header_and_body_is_400(client, person, rp):
    query, verifier = _code(client, rp)
    access = _exchange(client, rp, query["code"], verifier).json()["access_token"]
    status, _, _ = call("POST", "/oidc/userinfo", f"access_token={access}".encode(), Authorization="Bearer " + access)
    assert status == 400
    assert call("POST", "/oidc/userinfo", f"access_token={access}".encode())[0] == 200


def test_d14_the_basic_challenge_names_a_realm():
    wrong = "Basic " + base64.b64encode(b"rp-conform:wrong").decode()
    helpers.oidc_client("rp-conform")
    status, headers, _ = call("POST", "/oidc/token", b"grant_type=client_credentials", Authorization=wrong)
    assert status == 401 and headers["WWW-Authenticate"].startswith('Basic realm="')


def test_d15_every_claim_sent_is_in_claims_supported(client, person, rp):
    supported = set(client.get("/.well-known/openid-configuration").json()["claims_supported"])
    id_token = jwt.decode(_id_token(client, rp), keys.public_keys()).claims
    assert set(id_token) <= supported, set(id_token) - supported


# --- D5: browser apps (public clients) ----------------------------------------------------------

def test_d5_public_clients_browser_origins_may_call_token_userinfo_and_revocation():
    helpers.oidc_client("spa", public=True, redirect_uris=("https://spa.example.test/cb",))
    for path in ("/oidc/token", "/oidc/userinfo", "/oidc/revoke"):
        status, headers, _ = call("OPTIONS", path, Origin="https://spa.example.test",
                                  Access_Control_Request_Method="POST")
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "https://spa.example.test", path
        assert "Authorization" in headers["Access-Control-Allow-Headers"]
        status, headers, _ = call("OPTIONS", path, Origin="https://evil.example")
        assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = call("POST", "/oidc/token", b"grant_type=client_credentials", Origin="https://spa.example.test")
    assert headers["Access-Control-Allow-Origin"] == "https://spa.example.test" and "Origin" in headers["Vary"]
    status, headers, _ = call("POST", "/oidc/introspect", b"token=x", Origin="https://spa.example.test")
    assert "Access-Control-Allow-Origin" not in headers  # introspection is for back ends
