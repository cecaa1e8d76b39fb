"""Third-party clients against the running platform: Authlib's OAuth 2.0 client (code +
PKCE, refresh, client_credentials, introspection, revocation), joserfc checking the ID token
against the published JWKS, and python-cas validating CAS 2 and 3 tickets."""

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from cas import CASClient
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.sso import claims
from tests import factories
from tests.sso import helpers
from tests.sso.browserless import follow_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform(live_server, settings):
    settings.IDP_ISSUER = live_server.url
    return live_server.url


@pytest.fixture
def discovery(platform):
    response = requests.get(platform + "/.well-known/openid-configuration", allow_redirects=False)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    return response.json()


@pytest.fixture
def sessions(live_server):
    """HTTP sessions of the clients, closed before the live server stops."""
    made = []
    yield made
    for session in made:
        session.close()


def _session(sessions, rp, auth_method="client_secret_basic"):
    oauth = OAuth2Session(rp.client.client_id, rp.secret, scope="openid profile", redirect_uri=helpers.REDIRECT,
                          code_challenge_method="S256", token_endpoint_auth_method=auth_method)
    sessions.append(oauth)
    return oauth


def _sign_in(platform, discovery, oauth, person, nonce="nonce-42"):
    verifier = "v" * 20 + factories.uscc()[:10] + "x" * 20
    url, state = oauth.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier,
                                                nonce=nonce)
    callback = follow_until(url, helpers.REDIRECT, login_name=person.login_name,
                            password=factories.PASSWORD)
    token = oauth.fetch_token(discovery["token_endpoint"], authorization_response=callback,
                              code_verifier=verifier, state=state)
    return token


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_code_pkce_and_the_id_token_checked_by_joserfc(platform, discovery, sessions, auth_method):
    rp = helpers.oidc_client()
    person = factories.natural_account(name="钱七")
    token = _sign_in(platform, discovery, _session(sessions, rp, auth_method), person)

    jwks = requests.get(discovery["jwks_uri"]).json()
    decoded = jwt.decode(token["id_token"], KeySet.import_key_set(jwks),
                         algorithms=discovery["id_token_signing_alg_values_supported"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": discovery["issuer"]},
                          aud={"essential": True, "value": rp.client.client_id},
                          nonce={"essential": True, "value": "nonce-42"},
                          sub={"essential": True}, exp={"essential": True}).validate(decoded.claims)
    assert decoded.claims["iss"] == platform  # byte-identical issuer
    assert decoded.claims["sub"] == claims.subject(person) and decoded.claims["name"] == "钱七"


def test_authlib_client_refresh_introspect_revoke(platform, discovery, sessions):
    rp = helpers.oidc_client()
    oauth = _session(sessions, rp)
    token = _sign_in(platform, discovery, oauth, factories.natural_account())
    refreshed = oauth.refresh_token(discovery["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]

    userinfo = oauth.get(discovery["userinfo_endpoint"])
    assert userinfo.status_code == 200 and userinfo.json()["account_type"] == "natural"

    active = oauth.introspect_token(discovery["introspection_endpoint"], token=refreshed["access_token"]).json()
    assert active["active"] is True
    revoked = oauth.revoke_token(discovery["revocation_endpoint"], token=refreshed["access_token"])
    assert revoked.status_code == 200
    inactive = oauth.introspect_token(discovery["introspection_endpoint"], token=refreshed["access_token"]).json()
    assert inactive == {"active": False}


def test_authlib_client_credentials(platform, discovery, sessions):
    rp = helpers.oidc_client()
    oauth = OAuth2Session(rp.client.client_id, rp.secret)
    sessions.append(oauth)
    token = oauth.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    active = oauth.introspect_token(discovery["introspection_endpoint"], token=token["access_token"]).json()
    assert active["active"] is True and active["sub"] == rp.client.client_id


def test_no_redirects_and_json_errors_on_back_channel_endpoints(platform, discovery):
    for name in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        response = requests.post(discovery[name], data={"grant_type": "nope", "token": "x"}, allow_redirects=False)
        assert response.status_code in (400, 401)
        assert response.headers["Content-Type"].startswith("application/json") and "error" in response.json()
    for name in ("jwks_uri", "userinfo_endpoint"):
        response = requests.get(discovery[name], allow_redirects=False)
        assert response.status_code in (200, 401) and "json" in response.headers["Content-Type"]


@pytest.mark.parametrize("version", [2, 3])
def test_python_cas_validates_tickets(platform, sessions, version):
    service = "https://cas-rp.example.test/app/"
    helpers.cas_client(service=service)
    person = factories.natural_account(name="孙八")
    cas = CASClient(version=version, service_url=service, server_url=platform + "/cas/")
    sessions.append(cas.session)
    redirected = follow_until(cas.get_login_url(), service, login_name=person.login_name,
                              password=factories.PASSWORD)
    ticket = redirected.split("ticket=")[1]
    user, attributes, pgtiou = cas.verify_ticket(ticket)
    assert user == claims.subject(person)
    assert attributes["name"] == "孙八" and attributes["account_type"] == "natural"
    assert pgtiou is None
    assert cas.verify_ticket(ticket)[0] is None  # single use


def test_python_cas_single_logout_request_matches_the_ticket():
    from idp.sso.logout import saml_logout_request

    assert CASClient(version=3).verify_logout_request(saml_logout_request("ST-abc123"), "ST-abc123")
