"""系统管理 → 接入配置: operators register relying parties in the console."""

import base64
import re

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    account = factories.natural_account("operator")
    account.is_staff = account.is_superuser = True
    account.save()
    factories.sign_in(client, account)
    return account


def _form(system, **fields):
    data = {"system": system.pk, "client_id": "kjcg", "redirect_uris": "https://kjcg.example.gov.cn/cb",
            "post_logout_redirect_uris": "", "backchannel_logout_uri": "", "id_token_alg": "RS256",
            "service_pattern": "", "first_party": "on"}
    data.update(fields)
    return data


def test_operator_adds_a_client_and_sees_its_secret_once(client, operator):
    system = factories.demo_systems()["hgrag"]
    response = client.post("/admin/sso/client/add/", _form(system))
    assert response.status_code == 302
    text = client.get(response["Location"]).content.decode()  # the message, shown once
    secret = re.search(r"client_secret: (\S+?)(/|\(|$)", text).group(1)
    basic = "Basic " + base64.b64encode(f"kjcg:{secret}".encode()).decode()
    token = client.post("/oidc/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=basic)
    assert token.status_code == 200


@pytest.mark.parametrize("field,value", [
    ("service_pattern", "^https://a.example/.*"),   # not anchored at the end
    ("service_pattern", "https://a.example/ x"),
    ("redirect_uris", "javascript:alert(1)"),
])
def test_bad_patterns_and_uris_are_refused_by_field(client, operator, field, value):
    system = factories.demo_systems()["hgrag"]
    response = client.post("/admin/sso/client/add/", _form(system, **{field: value}))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors


def test_every_admin_write_is_in_the_audit_log(client, operator):
    """Issue 26: registering a client or regenerating its secret in 系统管理 wrote no audit entry,
    and is_staff / is_active edits landed only in Django's own log."""
    from idp.accounts.models import Account
    from idp.audit.models import AuditEntry, Event
    from idp.sso.models import Client, SsoSession

    system = factories.demo_systems()["hgrag"]
    client.post("/admin/sso/client/add/", _form(system))
    registered = Client.objects.get(client_id="kjcg")
    client.post("/admin/sso/client/", {"action": "regenerate_secret", "_selected_action": [registered.pk]})
    events = list(AuditEntry.objects.filter(actor=operator).values_list("event", flat=True))
    assert events.count(Event.CLIENT_REGISTERED) == 1 and events.count(Event.CLIENT_SECRET_ISSUED) == 2

    person = factories.natural_account("admin_edited")
    from tests.wsgi import ProductionClient

    elsewhere = ProductionClient()
    factories.sign_in(elsewhere, person)
    form = {"email": "", "is_active": "", "is_staff": "on", "groups": []}
    assert client.post(f"/admin/accounts/account/{person.pk}/change/", form).status_code == 302
    person.refresh_from_db()
    assert person.is_active is False and person.is_staff is True
    assert set(AuditEntry.objects.filter(account=person, actor=operator).values_list("event", flat=True)) == {
        Event.ACCOUNT_DISABLED, Event.STAFF_CHANGED}
    assert SsoSession.objects.get(account=person).end_reason == "account_locked"
    assert Account.objects.get(pk=person.pk).is_active is False
