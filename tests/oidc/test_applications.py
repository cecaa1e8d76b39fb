"""我的信息 → 已授权的应用: the third-party systems a person consented to, and 撤销授权 ending
every token the system holds for them."""

import pytest
from django.test import Client

from idp.audit.models import AuditEntry, Event
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db


def _consented_tokens(browser, rp, scope="openid profile"):
    verifier, challenge = helpers.pkce_pair()
    params = {"response_type": "code", "client_id": rp.client.client_id, "redirect_uri": helpers.REDIRECT,
              "scope": scope, "state": "s", "nonce": "n", "code_challenge": challenge,
              "code_challenge_method": "S256"}
    response = browser.post("/oidc/authorize?" + "&".join(f"{k}={v}" for k, v in params.items()),
                            {"consent": "allow", "acting_for": "self"})
    code = helpers.query_of(response["Location"])["code"]
    return Client().post("/oidc/token", {"grant_type": "authorization_code", "code": code,
                                         "redirect_uri": helpers.REDIRECT, "code_verifier": verifier},
                         HTTP_AUTHORIZATION=helpers.basic(rp)).json()


def test_a_third_party_system_is_listed_and_revoking_ends_its_tokens(client):
    person = factories.natural_account("consenting", name="周九")
    factories.sign_in(client, person)
    third = helpers.oidc_client("partner", first_party=False)
    own = helpers.oidc_client("own-system")
    tokens = _consented_tokens(client, third)
    verifier, challenge = helpers.pkce_pair()
    helpers.authorize(client, own, challenge=challenge)  # the platform's own system: never listed
    page = client.get("/online/applications/").content.decode()
    assert "测试系统 partner" in page and "测试系统 own-system" not in page
    assert "姓名、用户类型、实名认证状态" in page

    assert client.post("/online/applications/revoke/", {"client_id": "partner"}).status_code == 302
    refreshed = Client().post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                              HTTP_AUTHORIZATION=helpers.basic(third))
    assert refreshed.status_code == 400
    introspected = Client().post("/oidc/introspect", {"token": tokens["access_token"]},
                                 HTTP_AUTHORIZATION=helpers.basic(third)).json()
    assert introspected == {"active": False}
    assert "测试系统 partner" not in client.get("/online/applications/").content.decode()
    assert AuditEntry.objects.filter(event=Event.CONSENT_REVOKED, account=person).exists()


def test_another_persons_consent_cannot_be_revoked(client):
    owner, other = factories.natural_account("owner_p"), factories.natural_account("other_p")
    third = helpers.oidc_client("partner2", first_party=False)
    browser = Client()
    factories.sign_in(browser, owner)
    tokens = _consented_tokens(browser, third)
    factories.sign_in(client, other)
    client.post("/online/applications/revoke/", {"client_id": "partner2"})
    refreshed = Client().post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                              HTTP_AUTHORIZATION=helpers.basic(third))
    assert refreshed.status_code == 200
