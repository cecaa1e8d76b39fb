"""Concurrent registrations cannot create duplicates (real threads, real PostgreSQL)."""

import pytest
from django.test import Client

from idp.accounts.models import Account
from tests.accounts.test_registration import legal_data, natural_data
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(path, payloads):
    """POST each (client, data) payload from its own thread, at the same instant."""
    return run_together(*[(lambda c=client, d=data: c.post(path, d)) for client, data in payloads])


@pytest.mark.parametrize("names", [("race_name", "race_name"), ("Race_Name", "rACE_nAME")])
def test_two_registrations_race_for_one_login_name(names):
    """Exactly one wins; the other gets the 已注册 error on the login name; no 500."""
    payloads = []
    for i, name in enumerate(names):
        client = Client()
        data = natural_data(client, login_name=name, phone=f"1391234000{i}")
        payloads.append((client, data))
    responses = race("/register/natural/", payloads)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 302]
    loser = next(r for r in responses if r.status_code == 200)
    assert loser.context["form"].errors["login_name"] == ["该登录名已注册,请更换登录名"]
    assert Account.objects.filter(login_name__lower=names[0].lower()).count() == 1


def test_two_organisations_race_for_one_uscc():
    """Two legal registrations with one USCC: one account, the other told to appeal."""
    payloads = []
    first = Client()
    base = legal_data(first, login_name="org_a", agent_mobile="13700000001")
    payloads.append((first, base))
    second = Client()
    payloads.append((second, legal_data(second, login_name="org_b", agent_mobile="13700000002",
                                        uscc=base["uscc"])))
    responses = race("/register/legal/", payloads)
    assert sorted(r.status_code for r in responses) == [200, 302]
    loser = next(r for r in responses if r.status_code == 200)
    assert "法人申诉" in loser.context["form"].errors["uscc"][0]
    assert Account.objects.count() == 1


def test_one_sms_code_spent_by_two_requests_at_once():
    """Two registrations racing with the same code: only one spends it."""
    client = Client()
    data = natural_data(client, login_name="code_race_1")
    responses = race("/register/natural/", [(Client(), data),
                                            (Client(), {**data, "login_name": "code_race_2"})])
    assert sorted(r.status_code for r in responses) == [200, 302]
    loser = next(r for r in responses if r.status_code == 200)
    assert "验证码已使用" in loser.context["form"].errors["sms_code"][0]
    assert Account.objects.count() == 1
