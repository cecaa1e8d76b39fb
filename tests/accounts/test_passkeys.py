"""Passkeys through HTTP with a software authenticator (tests/accounts/authenticator.py): enrolment
after the password, a login without a name, and every refusal — no user verification, another
origin, a spent challenge, a removed passkey, a cloned authenticator's counter."""

import pytest
from django.test import Client

from idp.accounts.models import Passkey
from idp.audit.models import AuditEntry, Event
from tests import factories
from tests.accounts.authenticator import Authenticator

pytestmark = pytest.mark.django_db
ORIGIN = "http://localhost:8000"


@pytest.fixture(autouse=True)
def relying_party(settings):
    settings.IDP_ISSUER, settings.IDP_WEBAUTHN_RP_ID = ORIGIN, "localhost"


@pytest.fixture
def person(client):
    account = factories.natural_account("passkey_user", name="钱七")
    factories.sign_in(client, account)
    return account


def _json(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def enrol(client, authenticator, *, name="我的手机", password=factories.PASSWORD, origin=ORIGIN):
    options = _json(client, "/online/security/passkeys/options", {"password": password})
    if options.status_code != 200:
        return options
    return _json(client, "/online/security/passkeys/", {"name": name,
                                                         "credential": authenticator.create(options.json(), origin)})


def log_in(browser, authenticator, *, origin=ORIGIN, next_url=""):
    options = _json(browser, "/login/passkey/options").json()
    return _json(browser, "/login/passkey/", {"credential": authenticator.get(options, origin), "next": next_url})


def test_a_person_enrols_a_passkey_and_logs_in_with_it_without_a_name(client, person):
    key = Authenticator()
    assert enrol(client, key).json() == {"redirect": "/online/security/"}
    assert Passkey.objects.get(account=person).name == "我的手机"
    page = client.get("/online/security/").content.decode()
    assert "我的手机" in page and "添加通行密钥" in page
    browser = Client()
    answer = log_in(browser, key, next_url="/online/profile/")
    assert answer.status_code == 200 and answer.json() == {"redirect": "/online/profile/"}
    assert browser.get("/online/profile/").status_code == 200
    assert browser.session["sso"]["account"] == person.pk, "the login started an SSO session"
    assert AuditEntry.objects.filter(event=Event.LOGIN, account=person, detail__method="passkey").exists()
    assert "<td>通行密钥</td>" in browser.get("/online/profile/logins/").content.decode()


def test_enrolment_needs_the_password_again(client, person):
    answer = enrol(client, Authenticator(), password="wrong")
    assert answer.status_code == 400 and answer.json()["field"] == "password"
    assert not Passkey.objects.exists()


def test_a_passkey_without_user_verification_is_refused(client, person):
    answer = enrol(client, Authenticator(user_verification=False))
    assert answer.status_code == 400 and not Passkey.objects.exists()
    key = Authenticator()
    enrol(client, key)
    key.user_verification = False
    assert log_in(Client(), key).status_code == 400


def test_an_answer_made_for_another_origin_is_refused(client, person):
    key = Authenticator()
    assert enrol(client, key, origin="https://phish.example").status_code == 400
    enrol(client, key)
    assert log_in(Client(), key, origin="https://phish.example").status_code == 400
    assert AuditEntry.objects.filter(event=Event.PASSKEY_REFUSED).count() == 2


def test_a_challenge_answers_once(client, person):
    key = Authenticator()
    enrol(client, key)
    browser = Client()
    options = _json(browser, "/login/passkey/options").json()
    assert _json(browser, "/login/passkey/", {"credential": key.get(options, ORIGIN)}).status_code == 200
    again = _json(browser, "/login/passkey/", {"credential": key.get(options, ORIGIN)})
    assert again.status_code == 400


def test_a_removed_passkey_no_longer_logs_in(client, person):
    key = Authenticator()
    enrol(client, key)
    passkey = Passkey.objects.get()
    assert client.post(f"/online/security/passkeys/{passkey.pk}/delete/").status_code == 302
    assert log_in(Client(), key).status_code == 400


def test_a_counter_that_goes_back_is_a_cloned_authenticator(client, person):
    key = Authenticator()
    enrol(client, key)
    assert log_in(Client(), key).status_code == 200
    key.sign_count = 0
    assert log_in(Client(), key).status_code == 400


def test_a_synced_passkey_whose_counter_stays_zero_signs_in_again_and_again(client, person):
    key = Authenticator(counting=False)  # iCloud Keychain and Google Password Manager report 0
    enrol(client, key)
    for _ in range(3):
        assert log_in(Client(), key).status_code == 200
    assert Passkey.objects.get().sign_count == 0


def test_two_passkeys_and_the_same_one_not_twice(client, person):
    phone, laptop = Authenticator(), Authenticator()
    enrol(client, phone, name="手机")
    enrol(client, laptop, name="电脑")
    assert Passkey.objects.filter(account=person).count() == 2
    options = _json(client, "/online/security/passkeys/options", {"password": factories.PASSWORD}).json()
    assert len(options["excludeCredentials"]) == 2, "the browser is told which it holds already"
    assert log_in(Client(), laptop).status_code == 200 and log_in(Client(), phone).status_code == 200


def test_a_passkey_is_a_second_factor_for_staff(client):
    staff = factories.natural_account("passkey_staff")
    staff.is_staff = True
    staff.save()
    factories.sign_in(client, staff)
    key = Authenticator()
    enrol(client, key)
    browser = Client()
    assert log_in(browser, key, next_url="/console/").status_code == 200
    assert browser.get("/console/").status_code == 200, "no second factor asked: the passkey was both"


def test_a_disabled_account_cannot_log_in_with_its_passkey(client, person):
    key = Authenticator()
    enrol(client, key)
    person.is_active = False
    person.save()
    assert log_in(Client(), key).status_code == 400


def test_the_id_token_says_the_login_was_a_passkey(client, person):
    import base64
    import json

    from tests.sso import helpers

    key = Authenticator()
    enrol(client, key)
    browser = Client()
    log_in(browser, key)
    rp = helpers.oidc_client()
    verifier, challenge = helpers.pkce_pair()
    code = helpers.query_of(helpers.authorize(browser, rp, challenge=challenge)["Location"])["code"]
    tokens = Client().post("/oidc/token", {"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": helpers.REDIRECT, "code_verifier": verifier},
                           HTTP_AUTHORIZATION=helpers.basic(rp)).json()
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["amr"] == ["hwk", "user"]


def test_after_a_recovery_every_passkey_is_listed_for_review(client, person):
    from idp.recovery import services as recovery

    key = Authenticator()
    enrol(client, key)
    recovery._set_password(person, "Recovered@2026x", ip="")  # what both recoveries end with
    factories.sign_in(client, person)
    page = client.get("/online/security/").content.decode()
    assert "待确认" in page and "您刚通过密码找回恢复了账号" in page
    client.post("/online/security/passkeys/confirm/")
    assert "待确认" not in client.get("/online/security/").content.decode()


def test_cas_says_the_login_was_a_passkey(client, person):
    from tests.sso import helpers

    key = Authenticator()
    enrol(client, key)
    browser = Client()
    log_in(browser, key)
    helpers.cas_client()
    ticket = helpers.query_of(browser.get("/cas/login", {"service": helpers.SERVICE})["Location"])["ticket"]
    answer = Client().get("/cas/p3/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket,
                                                      "format": "JSON"}).json()
    attributes = answer["serviceResponse"]["authenticationSuccess"]["attributes"]
    assert attributes["authenticationMethod"] == ["hwk user"]


def test_a_passkey_answers_a_business_systems_demand_for_a_new_login(client, person):
    """OIDC prompt=login (and CAS renew, max_age) ask for a new login: a passkey is one."""
    from tests.sso import helpers

    key = Authenticator()
    enrol(client, key)
    rp = helpers.oidc_client()
    verifier, challenge = helpers.pkce_pair()
    asked = helpers.authorize(client, rp, challenge=challenge, prompt="login")
    assert asked["Location"].startswith("/login/")
    assert log_in(client, key).status_code == 200
    again = helpers.authorize(client, rp, challenge=challenge, prompt="login")
    assert "code=" in again["Location"]


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"credential": null}', b'{"credential": "x"}',
                                  b'{"credential": {"id": 1}}', b'{"credential": {"rawId": "!!"}}',
                                  b'{"credential": {"rawId": "AA", "response": []}}'])
def test_malformed_answers_are_refused_with_a_sentence(client, person, body):
    _json(client, "/online/security/passkeys/options", {"password": factories.PASSWORD})
    answer = client.post("/online/security/passkeys/", body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"]
    browser = Client()
    _json(browser, "/login/passkey/options")
    answer = browser.post("/login/passkey/", body, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"]
    for password in ([], 5, None):
        refused = _json(client, "/online/security/passkeys/options", {"password": password})
        assert refused.status_code == 400 and refused.json()["field"] == "password"
