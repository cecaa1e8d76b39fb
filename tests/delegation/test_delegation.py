"""用户授权管理: grants, changes, revocations, declines — and the isolation between organisations."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from idp.audit.models import AuditEntry, Event
from idp.delegation import selectors, services
from idp.delegation.models import Grant, GrantStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def systems():
    return factories.demo_systems()


@pytest.fixture
def org(client):
    account = factories.verified(factories.legal_account("org_one", name="甲科技有限公司"))
    client.force_login(account)
    client.account = account
    return client


@pytest.fixture
def person():
    return factories.verified(factories.natural_account("li_ming", name="李明",
                                                        id_number=factories.resident_id(seq="527")))


def grant_data(person, all_systems, **overrides):
    data = {"login_name": person.login_name, "name": person.person.name,
            "id_suffix": person.person.id_number[-4:], "systems": [all_systems["gqrd"].pk]}
    data.update(overrides)
    return data


def test_organisation_authorises_a_verified_person(org, person, systems):
    response = org.post("/online/delegation/", grant_data(person, systems, expires_on=""))
    assert response.status_code == 302
    grant = Grant.objects.get()
    assert (grant.organisation, grant.person, grant.system.code, grant.status) == (
        org.account, person, "gqrd", GrantStatus.ACTIVE)
    page = org.get("/online/delegation/").content.decode()
    assert "李明" in page and "高企认定" in page and "已授权 李明 代办:高企认定" in page
    assert person.person.id_number not in page  # masked even for the organisation
    assert list(selectors.organisations_for(person=person, system=systems["gqrd"])) == [org.account]


def test_both_sides_are_audited(org, person, systems):
    org.post("/online/delegation/", grant_data(person, systems))
    grant = Grant.objects.get()
    org.post(f"/online/delegation/{grant.pk}/revoke/", {"confirmed": "1"})
    for event in (Event.GRANT_CREATED, Event.GRANT_REVOKED):
        assert AuditEntry.objects.filter(event=event, account=org.account, actor=org.account).exists()
        assert AuditEntry.objects.filter(event=event, account=person).exists()


def test_the_person_sees_and_may_decline(org, person, systems):
    org.post("/online/delegation/", grant_data(person, systems, systems=[systems["gqrd"].pk, systems["kxqpj"].pk]))
    viewer = Client()
    viewer.force_login(person)
    page = viewer.get("/online/profile/").content.decode()
    assert "甲科技有限公司" in page and "高企认定" in page and "科小企评价" in page
    grant = Grant.objects.get(system__code="kxqpj")
    assert viewer.post(f"/online/grants/{grant.pk}/decline/", {"confirmed": "1"}).status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.DECLINED
    assert "科小企评价" not in viewer.get("/online/profile/").content.decode()
    assert AuditEntry.objects.filter(event=Event.GRANT_DECLINED, account=org.account).exists()


@pytest.mark.parametrize("overrides", [
    {"login_name": "nobody_at_all"},
    {"name": "王明"},
    {"id_suffix": "0000"},
])
def test_look_up_misses_get_one_message(org, person, systems, overrides):
    """An unknown name, a mismatched name or suffix: the same message, nothing created."""
    response = org.post("/online/delegation/", grant_data(person, systems, **overrides))
    assert response.context["form"].non_field_errors() == [services.PERSON_NOT_FOUND]
    assert not Grant.objects.exists()
    assert 'value="' + grant_data(person, systems, **overrides)["login_name"] + '"' in response.content.decode()


def test_unverified_person_gets_the_same_message(org, systems):
    unverified = factories.natural_account("not_yet", name="赵六")
    response = org.post("/online/delegation/", grant_data(unverified, systems))
    assert response.context["form"].non_field_errors() == [services.PERSON_NOT_FOUND]


def test_organisation_account_cannot_be_authorised(org, systems):
    other_org = factories.verified(factories.legal_account("org_two"))
    response = org.post("/online/delegation/", {"login_name": other_org.login_name, "name": "x",
                                                "id_suffix": "1234", "systems": [systems["gqrd"].pk]})
    assert response.context["form"].non_field_errors() == [services.PERSON_NOT_FOUND]


def test_grant_to_oneself_is_refused(org, systems):
    response = org.post("/online/delegation/", {"login_name": "ORG_ONE", "name": "x", "id_suffix": "1234",
                                                "systems": [systems["gqrd"].pk]})
    assert "不能授权给本单位账号" in response.context["form"].errors["login_name"][0]


def test_non_delegable_system_is_refused(org, person, systems):
    response = org.post("/online/delegation/", grant_data(person, systems, systems=[systems["kjjhsb"].pk]))
    assert "不支持代办授权" in response.context["form"].errors["systems"][0]
    assert not Grant.objects.exists()


def test_expiry_in_the_past_is_refused(org, person, systems):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = org.post("/online/delegation/", grant_data(person, systems, expires_on=yesterday))
    assert response.context["form"].errors["expires_on"] == ["有效期不能早于今天"]


def test_missing_fields(org):
    response = org.post("/online/delegation/", {})
    errors = response.context["form"].errors
    assert set(errors) == {"login_name", "name", "id_suffix", "systems"}


def test_granting_again_changes_the_expiry_instead_of_duplicating(org, person, systems):
    org.post("/online/delegation/", grant_data(person, systems))
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    org.post("/online/delegation/", grant_data(person, systems, expires_on=later))
    grant = Grant.objects.get()
    assert grant.expires_on.isoformat() == later


def test_revoking_and_declining_ask_for_confirmation_first(org, person, systems):
    org.post("/online/delegation/", grant_data(person, systems))
    grant = Grant.objects.get()
    asked = org.post(f"/online/delegation/{grant.pk}/revoke/")  # the button in the list
    page = asked.content.decode()
    assert asked.status_code == 200 and "确认撤销对" in page and 'name="confirmed" value="1"' in page
    assert "取消" in page and org.get(f"/online/delegation/{grant.pk}/revoke/").status_code == 200
    grant.refresh_from_db()
    assert grant.status == "active"
    viewer = Client()
    viewer.force_login(person)
    assert "确认拒绝" in viewer.post(f"/online/grants/{grant.pk}/decline/").content.decode()
    grant.refresh_from_db()
    assert grant.status == "active"
    assert org.post(f"/online/delegation/{grant.pk}/revoke/", {"confirmed": "1"}).status_code == 302
    grant.refresh_from_db()
    assert grant.status == "revoked"


def test_change_and_revoke(org, person, systems):
    org.post("/online/delegation/", grant_data(person, systems))
    grant = Grant.objects.get()
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    org.post(f"/online/delegation/{grant.pk}/change/", {"expires_on": later})
    grant.refresh_from_db()
    assert grant.expires_on.isoformat() == later
    past = org.post(f"/online/delegation/{grant.pk}/change/", {"expires_on": "2000-01-01"}, follow=True)
    assert "有效期不能早于今天" in past.content.decode()
    org.post(f"/online/delegation/{grant.pk}/revoke/", {"confirmed": "1"})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED and grant.ended_by == org.account
    assert not selectors.organisations_for(person=person, system=systems["gqrd"]).exists()


def test_one_organisation_can_neither_see_nor_change_anothers_grants(org, person, systems):
    other = factories.verified(factories.legal_account("org_other", name="乙公司"))
    services.create_grants(organisation=other, person=person, systems=[systems["gqrd"]], expires_on=None,
                           actor=other)
    foreign = Grant.objects.get(organisation=other)
    page = org.get("/online/delegation/").content.decode()
    assert "乙公司" not in page and "李明" not in page
    assert org.post(f"/online/delegation/{foreign.pk}/revoke/").status_code == 404
    assert org.post(f"/online/delegation/{foreign.pk}/change/", {"expires_on": ""}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == GrantStatus.ACTIVE and foreign.expires_on is None
    stranger = Client()
    stranger.force_login(factories.natural_account("stranger"))
    assert stranger.post(f"/online/grants/{foreign.pk}/decline/").status_code == 404
    assert stranger.get("/online/delegation/").status_code == 403


def test_selector_honours_expiry_and_revocation(person, systems):
    org_a = factories.legal_account("org_a")
    org_b = factories.legal_account("org_b")
    org_c = factories.legal_account("org_c")
    today = timezone.localdate()
    services.create_grants(organisation=org_a, person=person, systems=[systems["gqrd"]], expires_on=today,
                           actor=org_a)
    services.create_grants(organisation=org_b, person=person, systems=[systems["gqrd"]], expires_on=None,
                           actor=org_b)
    [revoked] = services.create_grants(organisation=org_c, person=person, systems=[systems["gqrd"]],
                                       expires_on=None, actor=org_c)
    services.revoke_grant(organisation=org_c, grant_id=revoked.pk, actor=org_c)
    now = set(selectors.organisations_for(person=person, system=systems["gqrd"]))
    assert now == {org_a, org_b}  # the expiry day itself still counts
    tomorrow = set(selectors.organisations_for(person=person, system=systems["gqrd"],
                                               on=today + timedelta(days=1)))
    assert tomorrow == {org_b}
    assert not selectors.organisations_for(person=person, system=systems["kxqpj"]).exists()


def test_migration_may_authorise_an_unverified_person(systems):
    """create_grants (used by the migration's case R4) does not require verification."""
    org_account = factories.legal_account()
    unverified = factories.natural_account()
    [grant] = services.create_grants(organisation=org_account, person=unverified, systems=[systems["gqrd"]],
                                     expires_on=None, actor=None, source="migration")
    assert grant.source == "migration" and grant.created_by is None


def test_natural_persons_have_no_delegation_page(client):
    client.force_login(factories.natural_account())
    assert client.get("/online/delegation/").status_code == 403
    assert client.post("/online/delegation/1/revoke/").status_code == 403
