"""Issue 12, the CAS side: renew and isFromNewLogin, and attribute names that survive Apache."""

import pytest

from idp.delegation.services import create_grants
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db
ISSUER = "http://127.0.0.1:8000"


@pytest.fixture
def person(client):
    account = factories.verified(factories.natural_account(name="张三"))
    client.force_login(account)
    return account


def silent(client, rp, **extra):
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge, prompt="none", **extra)
    assert response.status_code == 302, response.content[:200]  # never a page
    assert response["Location"].startswith(helpers.REDIRECT)
    return helpers.query_of(response["Location"])


# --- items 2 and 6: CAS renew and isFromNewLogin -------------------------------------------------

def _cas_attributes(client, ticket, **params):
    from tests.cas.test_cas import NS, _xml
    root = _xml(client.get("/cas/p3/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket, **params}))
    success = root.find("cas:authenticationSuccess", NS)
    if success is None:
        return None
    return {child.tag.split("}")[1]: child.text for child in success.find("cas:attributes", NS)}


def _log_in_for(client, login_name, next_url):
    from tests.accounts.test_login import login
    response = login(client, login_name, next=next_url)
    assert response.status_code == 302, response.content[:300]
    # The login answers the protocol request with its ticket or code itself (issue 33) unless it
    # needs a page of ours first.
    return client.get(response["Location"]) if response["Location"].startswith("/") else response


def test_a_password_typed_for_the_cas_login_is_a_new_login_and_sso_is_not(client):
    helpers.cas_client("rp-cas-new")
    account = factories.natural_account()
    asked = client.get("/cas/login", {"service": helpers.SERVICE})
    back = _log_in_for(client, account.login_name, helpers.query_of(asked["Location"])["next"])
    ticket = helpers.query_of(back["Location"])["ticket"]
    assert _cas_attributes(client, ticket)["isFromNewLogin"] == "true"
    again = helpers.query_of(client.get("/cas/login", {"service": helpers.SERVICE})["Location"])["ticket"]
    assert _cas_attributes(client, again)["isFromNewLogin"] == "false"  # single sign-on


def test_the_login_answers_the_cas_login_it_interrupted_with_the_ticket(client):
    """Issue 33: the login POST whose `next` is /cas/login redirects straight to the service with
    a ticket that validates as a new login (isFromNewLogin); what the browser's extra round trip
    through /cas/login did, done in the login's request."""
    from tests.accounts.test_login import login

    helpers.cas_client("rp-cas-direct")
    account = factories.natural_account()
    asked = client.get("/cas/login", {"service": helpers.SERVICE})
    answer = login(client, account.login_name, next=helpers.query_of(asked["Location"])["next"])
    assert answer.status_code == 302 and answer["Location"].startswith(helpers.SERVICE)
    attributes = _cas_attributes(client, helpers.query_of(answer["Location"])["ticket"])
    assert attributes["isFromNewLogin"] == "true" and attributes["authenticationMethod"] == "pwd"


def test_renew_is_not_satisfied_by_a_login_made_for_another_system(client):
    """The attack: sign in through an OIDC client, then 20 s later CAS renew=true."""
    oidc = helpers.oidc_client("rp-oidc-first")
    helpers.cas_client("rp-cas-renew")
    account = factories.natural_account()
    _, challenge = helpers.pkce_pair()
    asked = helpers.authorize(client, oidc, challenge=challenge)
    assert "code" in helpers.query_of(_log_in_for(client, account.login_name,
                                                  helpers.query_of(asked["Location"])["next"])["Location"])
    renew = client.get("/cas/login", {"service": helpers.SERVICE, "renew": "true"})
    assert renew["Location"].startswith("/login/?")  # credentials again, not a ticket
    back = _log_in_for(client, account.login_name, helpers.query_of(renew["Location"])["next"])
    ticket = helpers.query_of(back["Location"])["ticket"]
    attributes = _cas_attributes(client, ticket, renew="true")
    assert attributes is not None and attributes["isFromNewLogin"] == "true"


# --- item 9: CAS attribute names that survive Apache ----------------------------------------------

def test_cas_attributes_also_come_in_camel_case(client, person):
    helpers.cas_client("rp-cas-camel", delegable=True)
    org = factories.verified(factories.legal_account(name="驼峰科技有限公司"))
    from idp.catalogue.models import BusinessSystem
    create_grants(organisation=org, person=person, systems=[BusinessSystem.objects.get(code="rp-cas-camel")],
                  expires_on=None, actor=org)
    response = client.post(f"/cas/login?service={helpers.SERVICE}", {"acting_for": str(org.pk)})
    attributes = _cas_attributes(client, helpers.query_of(response["Location"])["ticket"])
    for snake, camel in (("account_type", "accountType"), ("org_name", "orgName"), ("legal_type", "legalType"),
                         ("realname_status", "realnameStatus"), ("act_sub", "actSub"), ("act_name", "actName")):
        assert attributes[camel] == attributes[snake], camel
    assert attributes["orgName"] == "驼峰科技有限公司" and attributes["actName"] == "张三"


# --- issue 25, D7 and D8: gateway; patterns and dot segments ----------------------------------------

def test_d7_renew_wins_over_gateway(client, person):
    helpers.cas_client()
    response = client.get("/cas/login", {"service": helpers.SERVICE, "renew": "true", "gateway": "true"})
    assert response["Location"].startswith("/login/?")  # credentials asked, not back without a ticket


def test_d8_gateway_never_shows_the_whom_to_act_for_page(client, person):
    rp = helpers.cas_client("rp-cas-delegable", delegable=True)
    org = factories.verified(factories.legal_account(name="网关科技有限公司"))
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    response = client.get("/cas/login", {"service": helpers.SERVICE, "gateway": "true"})
    assert response.status_code == 302 and response["Location"] == helpers.SERVICE
    chooser = client.get("/cas/login", {"service": helpers.SERVICE})
    assert chooser.status_code == 200  # without gateway the person is asked


def test_cas_patterns_never_match_dot_segments(client, person):
    """Issue 25: CAS service patterns matched paths containing `../`."""
    helpers.cas_client("rp-cas-pattern", service=r"^https://cas-rp\.example\.test/app/.*$")
    assert "ticket=" in client.get("/cas/login", {"service": "https://cas-rp.example.test/app/x"})["Location"]
    for sneaky in ("https://cas-rp.example.test/app/../admin/", "https://cas-rp.example.test/app/%2e%2e/admin/",
                   "https://cas-rp.example.test/app/./x"):
        assert client.get("/cas/login", {"service": sneaky}).status_code == 400, sneaky
