"""Single-use credentials under real concurrency (PostgreSQL, and Redis when configured):
a code, a refresh token and a service ticket each serve exactly one of several requests
sent at the same instant."""

import pytest
from django.test import Client

from idp.oidc.models import Authorization
from idp.sso import keys
from idp.sso.models import IdTokenAlg, SigningKey
from tests import factories
from tests.concurrency import run_together
from tests.sso import helpers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _signed_in():
    client = Client()
    client.force_login(factories.natural_account())
    return client


def _post_token(rp, data):
    def call():
        return Client().post("/oidc/token", data, HTTP_AUTHORIZATION=helpers.basic(rp)).status_code
    return call


def test_one_code_one_exchange():
    rp = helpers.oidc_client()
    browser = _signed_in()
    verifier, challenge = helpers.pkce_pair()
    code = helpers.query_of(helpers.authorize(browser, rp, challenge=challenge)["Location"])["code"]
    exchange = _post_token(rp, {"grant_type": "authorization_code", "code": code, "redirect_uri": helpers.REDIRECT,
                                "code_verifier": verifier})
    statuses = run_together(*[exchange] * 4)
    assert sorted(statuses) == [200, 400, 400, 400]
    assert Authorization.objects.count() == 1


def test_a_raced_refresh_token_serves_once_and_revokes_the_family():
    rp = helpers.oidc_client()
    browser = _signed_in()
    verifier, challenge = helpers.pkce_pair()
    code = helpers.query_of(helpers.authorize(browser, rp, challenge=challenge)["Location"])["code"]
    tokens = browser.post("/oidc/token", {"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": helpers.REDIRECT, "code_verifier": verifier},
                          HTTP_AUTHORIZATION=helpers.basic(rp)).json()
    refresh = _post_token(rp, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    statuses = run_together(*[refresh] * 4)
    assert sorted(statuses) == [200, 400, 400, 400]
    assert Authorization.objects.get().revoke_reason == "refresh_reuse"


def test_one_ticket_one_validation():
    helpers.cas_client()
    browser = _signed_in()
    ticket = helpers.query_of(browser.get("/cas/login", {"service": helpers.SERVICE})["Location"])["ticket"]

    def validate():
        body = Client().get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket}).content
        return b"authenticationSuccess" in body

    assert sorted(run_together(*[validate] * 4)) == [False, False, False, True]


def test_nodes_starting_together_make_one_set_of_signing_keys():
    """Two nodes on an empty key table (a first start, or the multinode tests' flushed database)
    once made a key each: a token one signed failed at the other until its ring reloaded."""
    assert not SigningKey.objects.exists()
    run_together(*[keys.ensure_keys] * 4)
    made = sorted(SigningKey.objects.values_list("alg", flat=True))
    assert made == sorted(IdTokenAlg.values)
