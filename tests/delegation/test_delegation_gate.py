"""Issue 11, items 2 and 7: an organisation that is not verified cannot lend its name to a
system that needs real-name verification — through 办理入口, OIDC or CAS, nor by a token
family that outlives its verification — and 用户授权管理 cannot be used to guess ID digits."""

import pytest
from django.test import Client

from idp.accounts.models import RealNameStatus
from idp.audit.models import AuditEntry, Event
from idp.delegation.models import Grant
from idp.delegation.services import create_grants
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return factories.verified(factories.natural_account("agent_li", name="李代办"))


@pytest.fixture
def fake_org():
    """Any name, any free USCC, never verified."""
    return factories.legal_account("fake_org", name="冒名科技有限公司")


def grant_form(person, system):
    return {"login_name": person.login_name, "name": person.person.name,
            "id_suffix": person.person.id_number[-4:], "systems": [system.pk]}


def test_an_unverified_organisation_cannot_grant(client, person, fake_org):
    rp = helpers.oidc_client("rp-gate", allow_natural=False, delegable=True, requires_realname=True)
    client.force_login(fake_org)
    page = client.get("/online/delegation/").content.decode()
    assert "完成实名认证后才能授权" in page
    response = client.post("/online/delegation/", grant_form(person, rp.system))
    assert response.status_code == 200 and "完成实名认证后才能授权" in response.content.decode()
    assert not Grant.objects.exists()


def _oidc_chooser(client, rp):
    _, challenge = helpers.pkce_pair()
    return helpers.authorize(client, rp, challenge=challenge)


def test_sign_on_never_offers_an_unverified_organisation(client, person, fake_org):
    """The attack: a grant from an unverified organisation (here made the way the migration
    makes them), then sign-on as that organisation to a system that needs verification."""
    real_org = factories.verified(factories.legal_account(name="真实科技有限公司"))
    rp = helpers.oidc_client("rp-gate", allow_natural=False, delegable=True, requires_realname=True)
    cas = helpers.cas_client("rp-gate-cas", allow_natural=False, delegable=True, requires_realname=True)
    for org in (fake_org, real_org):
        create_grants(organisation=org, person=person, systems=[rp.system, cas.system], expires_on=None,
                      actor=org, source="migration")
    client.force_login(person)
    chooser = _oidc_chooser(client, rp).content.decode()
    assert "真实科技有限公司" in chooser and "冒名科技有限公司" not in chooser
    refused = client.post(_oidc_chooser(client, rp).wsgi_request.get_full_path(), {"acting_for": str(fake_org.pk)})
    assert refused.status_code == 200 and "code=" not in refused.get("Location", "")
    cas_page = client.get("/cas/login", {"service": helpers.SERVICE}).content.decode()
    assert "真实科技有限公司" in cas_page and "冒名科技有限公司" not in cas_page
    assert client.post(f"/cas/login?service={helpers.SERVICE}", {"acting_for": str(fake_org.pk)}).status_code == 200


def test_only_unverified_organisations_left_is_a_clear_refusal(client, person, fake_org):
    rp = helpers.oidc_client("rp-gate", allow_natural=False, delegable=True, requires_realname=True)
    create_grants(organisation=fake_org, person=person, systems=[rp.system], expires_on=None, actor=fake_org,
                  source="migration")
    client.force_login(person)
    response = _oidc_chooser(client, rp)
    assert response.status_code == 403 and "尚未完成实名认证" in response.content.decode()


def test_the_service_item_door_applies_the_same_rule(client, person, fake_org):
    systems = factories.demo_systems()
    gqrd = systems["gqrd"]
    assert gqrd.requires_realname
    create_grants(organisation=fake_org, person=person, systems=[gqrd], expires_on=None, actor=fake_org,
                  source="migration")
    item = gqrd.items.filter(user_kind="legal").first()
    client.force_login(person)
    page = client.get(f"/services/{item.pk}/enter/").content.decode()
    assert "冒名科技有限公司" not in page and "尚未完成实名认证" in page
    client.post(f"/services/{item.pk}/enter/", {"acting_for": str(fake_org.pk)})
    from idp.catalogue.models import SystemVisit
    assert not SystemVisit.objects.exists()


def _tokens_acting_for(client, person, rp, org) -> dict:
    """Sign on to `rp` as `person` acting for `org` and exchange the code: the token response."""
    client.force_login(person)
    verifier, challenge = helpers.pkce_pair()
    url = helpers.authorize(client, rp, challenge=challenge).wsgi_request.get_full_path()
    code = helpers.query_of(client.post(url, {"acting_for": str(org.pk)})["Location"])["code"]
    return client.post("/oidc/token", {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                       "redirect_uri": helpers.REDIRECT}, HTTP_AUTHORIZATION=helpers.basic(rp)).json()


def test_a_family_stops_when_its_organisation_loses_verification(client, person):
    org = factories.verified(factories.legal_account(name="曾经认证科技有限公司"))
    rp = helpers.oidc_client("rp-gate", allow_natural=False, delegable=True, requires_realname=True)
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    tokens = _tokens_acting_for(client, person, rp, org)
    org.realname_status = RealNameStatus.UNVERIFIED  # e.g. its identity data changed
    org.save(update_fields=["realname_status"])
    refreshed = client.post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                            HTTP_AUTHORIZATION=helpers.basic(rp))
    assert refreshed.json()["error"] == "invalid_grant"


# --- item 7 ---------------------------------------------------------------------------------------

def test_guessing_the_last_four_digits_is_throttled_and_audited(client, person, settings):
    settings.IDP_GRANT_LOOKUP_MISSES_PER_ORGANISATION = 5
    systems = factories.demo_systems()
    org = factories.verified(factories.legal_account("guessing_org"))
    client.force_login(org)
    real = person.person.id_number[-4:]
    guesses = [f"{n:04d}" for n in range(10) if f"{n:04d}" != real][:5]
    for guess in guesses:
        answer = client.post("/online/delegation/", {**grant_form(person, systems["gqrd"]), "id_suffix": guess})
        assert "未找到符合条件" in answer.content.decode()
    blocked = client.post("/online/delegation/", grant_form(person, systems["gqrd"]))  # the right digits, too late
    assert "核对失败次数过多" in blocked.content.decode()
    assert not Grant.objects.exists()
    assert AuditEntry.objects.filter(event=Event.GRANT_LOOKUP_FAILED, account=org).count() == 5


def test_the_per_ip_limit_spans_organisations(client, person, settings):
    settings.IDP_GRANT_LOOKUP_MISSES_PER_IP = 3
    systems = factories.demo_systems()
    for n in range(3):
        org = factories.verified(factories.legal_account(f"ip_org_{n}"))
        client.force_login(org)
        client.post("/online/delegation/", {**grant_form(person, systems["gqrd"]), "id_suffix": "XXXX"})
    org = factories.verified(factories.legal_account("ip_org_last"))
    client.force_login(org)
    answer = client.post("/online/delegation/", grant_form(person, systems["gqrd"]))
    assert "核对失败次数过多" in answer.content.decode()


# --- item 14 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["revoke", "decline"])
def test_ending_a_grant_ends_the_tokens_acting_under_it_at_once(client, person, how):
    """The organisation presses 撤销授权 in 用户授权管理, or the person 拒绝 under 法人(单位)授权办理情况."""
    org = factories.verified(factories.legal_account(name="撤销测试科技有限公司"))
    rp = helpers.oidc_client("rp-grant-end", allow_natural=False, delegable=True)
    [grant] = create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    tokens = _tokens_acting_for(client, person, rp, org)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert client.get("/oidc/userinfo", **bearer).status_code == 200
    browser = Client()
    if how == "revoke":
        browser.force_login(org)
        assert browser.post(f"/online/delegation/{grant.pk}/revoke/", {"confirmed": "1"}).status_code == 302
    else:
        browser.force_login(person)
        assert browser.post(f"/online/grants/{grant.pk}/decline/", {"confirmed": "1"}).status_code == 302
    assert client.get("/oidc/userinfo", **bearer).status_code == 401
    introspected = client.post("/oidc/introspect", {"token": tokens["access_token"]},
                               HTTP_AUTHORIZATION=helpers.basic(rp)).json()
    assert introspected == {"active": False}
