"""Issue 11, item 6: another site cannot log a browser out — neither with someone else's ID
token as the hint, nor by sending the browser to /cas/logout."""

import pytest
from django.test import Client

from tests import factories
from tests.sso import helpers
from tests.sso.test_single_logout import _sign_on_both

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_systems(receiver):
    oidc = helpers.oidc_client("csrf-oidc", post_logout_redirect_uris=["https://rp.example.test/bye"])
    cas = helpers.cas_client("csrf-cas", service=receiver.url + "/cas-app/")
    return oidc, cas


def test_an_id_token_of_another_session_does_not_log_this_browser_out(two_systems, receiver):
    oidc, cas = two_systems
    attacker, victim = Client(), Client()
    attacker.force_login(factories.natural_account("attacker"))
    attacker_tokens, _ = _sign_on_both(attacker, oidc, cas, receiver)
    victim.force_login(factories.natural_account("victim"))
    response = victim.get("/oidc/logout", {"id_token_hint": attacker_tokens["id_token"],
                                           "post_logout_redirect_uri": "https://rp.example.test/bye"})
    assert response.status_code == 200 and "确认退出登录" in response.content.decode()
    assert "_auth_user_id" in victim.session  # still logged in


def test_the_browser_s_own_hint_still_logs_out_at_once(two_systems, receiver):
    oidc, cas = two_systems
    client = Client()
    client.force_login(factories.natural_account())
    tokens, _ = _sign_on_both(client, oidc, cas, receiver)
    response = client.get("/oidc/logout", {"id_token_hint": tokens["id_token"],
                                           "post_logout_redirect_uri": "https://rp.example.test/bye"})
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_a_cross_site_get_of_cas_logout_only_asks(two_systems):
    client = Client(enforce_csrf_checks=True)
    client.force_login(factories.natural_account())
    response = client.get("/cas/logout", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 200 and "确认退出登录" in response.content.decode()
    assert "_auth_user_id" in client.session
    forged = client.post("/cas/logout")  # a forged POST has no CSRF token
    assert forged.status_code == 403 and "_auth_user_id" in client.session


# --- informational: RFC 7662 §2.1 — an unknown token_type_hint is ignored -----------------------

def test_introspection_and_revocation_ignore_an_unknown_hint(two_systems, receiver):
    oidc, cas = two_systems
    client = Client()
    client.force_login(factories.natural_account())
    tokens, _ = _sign_on_both(client, oidc, cas, receiver)
    answer = client.post("/oidc/introspect", {"token": tokens["access_token"], "token_type_hint": "mac_token"},
                         HTTP_AUTHORIZATION=helpers.basic(oidc))
    assert answer.status_code == 200 and answer.json()["active"] is True
    revoked = client.post("/oidc/revoke", {"token": tokens["access_token"], "token_type_hint": "mac_token"},
                          HTTP_AUTHORIZATION=helpers.basic(oidc))
    assert revoked.status_code == 200
    answer = client.post("/oidc/introspect", {"token": tokens["access_token"]}, HTTP_AUTHORIZATION=helpers.basic(oidc))
    assert answer.json() == {"active": False}
