"""我的信息 → 登录设备 and 登录记录: the person sees where they are signed in and every sign-in
and refused attempt, and ends a session on another device — which signs that browser out, logs it
out of the business systems it entered and stops its refresh tokens."""

import pytest
from django.test import Client

from idp.sso.models import SsoSession
from tests import factories
from tests.accounts.test_login import login
from tests.sso import helpers

pytestmark = pytest.mark.django_db
PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.0 Mobile/15E148 Safari/604.1")
DESKTOP_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Safari/537.36")


@pytest.fixture
def person(db):
    return factories.natural_account("device_user", name="王五")


def _signed_in(user_agent: str) -> Client:
    browser = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR="203.0.113.7")
    assert login(browser, "device_user").status_code == 302
    return browser


def test_the_devices_page_lists_each_signed_in_browser_in_words(person):
    desktop, phone = _signed_in(DESKTOP_UA), _signed_in(PHONE_UA)
    page = desktop.get("/online/devices/").content.decode()
    assert "Chrome · Windows" in page and "Safari · iOS" in page
    assert page.count("本设备") == 1 and "退出其他设备" in page
    assert phone.get("/online/devices/").status_code == 200


def test_ending_another_device_signs_it_out_and_ends_its_sso_session(person):
    desktop, phone = _signed_in(DESKTOP_UA), _signed_in(PHONE_UA)
    phone_sid = phone.session["sso"]["sid"]
    response = desktop.post("/online/devices/end/", {"sid": phone_sid})
    assert response.status_code == 302 and response["Location"] == "/online/devices/"
    assert SsoSession.objects.get(sid=phone_sid).end_reason == "ended_by_holder"
    assert phone.get("/online/profile/")["Location"].startswith("/login/"), "the phone is signed out"
    assert desktop.get("/online/profile/").status_code == 200, "this browser stays"
    assert "Safari · iOS" not in desktop.get("/online/devices/").content.decode()


def test_ending_other_devices_keeps_this_one(person):
    desktop, phone, tablet = _signed_in(DESKTOP_UA), _signed_in(PHONE_UA), _signed_in(PHONE_UA)
    desktop.post("/online/devices/end-others/")
    assert phone.get("/online/profile/").status_code == 302 and tablet.get("/online/profile/").status_code == 302
    assert desktop.get("/online/profile/").status_code == 200
    assert SsoSession.objects.filter(account=person, ended_at__isnull=True).count() == 1


def test_a_person_cannot_end_someone_elses_session(person):
    desktop = _signed_in(DESKTOP_UA)
    other = factories.natural_account("someone_else")
    stranger = Client()
    login(stranger, "someone_else")
    stranger.post("/online/devices/end/", {"sid": desktop.session["sso"]["sid"]})
    assert desktop.get("/online/profile/").status_code == 200
    assert SsoSession.objects.filter(account=other, ended_at__isnull=True).count() == 1


def test_ending_this_device_from_the_list_logs_out(person):
    desktop = _signed_in(DESKTOP_UA)
    response = desktop.post("/online/devices/end/", {"sid": desktop.session["sso"]["sid"]})
    assert response["Location"] == "/login/"
    assert desktop.get("/online/profile/").status_code == 302


def test_ending_a_device_stops_its_refresh_tokens(person):
    phone, desktop = _signed_in(PHONE_UA), _signed_in(DESKTOP_UA)
    rp = helpers.oidc_client()
    verifier, challenge = helpers.pkce_pair()
    code = helpers.query_of(helpers.authorize(phone, rp, challenge=challenge, scope="openid offline_access")
                            ["Location"])["code"]
    tokens = Client().post("/oidc/token", {"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": helpers.REDIRECT, "code_verifier": verifier},
                           HTTP_AUTHORIZATION=helpers.basic(rp)).json()
    desktop.post("/online/devices/end/", {"sid": phone.session["sso"]["sid"]})
    refreshed = Client().post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                              HTTP_AUTHORIZATION=helpers.basic(rp))
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_the_login_record_shows_sign_ins_and_refused_attempts_and_the_last_login(person):
    login(Client(HTTP_USER_AGENT=PHONE_UA), "device_user", password="wrong-password-1")
    _signed_in(PHONE_UA)
    desktop = _signed_in(DESKTOP_UA)
    page = desktop.get("/online/profile/logins/").content.decode()
    assert page.count("成功") >= 2 and "登录失败" in page and "Safari · iOS" in page and "Chrome · Windows" in page
    assert "203.0.113.7" in page
    profile = desktop.get("/online/profile/").content.decode()
    assert "上次登录" in profile


def test_the_login_record_shows_a_refused_attempt_that_typed_the_name_in_another_case(person):
    """Login names are case-insensitive, so an attempt at DEVICE_USER was an attempt at this account."""
    login(Client(HTTP_USER_AGENT=PHONE_UA), "DEVICE_USER", password="wrong-password-1")
    page = _signed_in(DESKTOP_UA).get("/online/profile/logins/").content.decode()
    assert "登录失败" in page and "Safari · iOS" in page


def test_a_login_from_a_new_browser_is_told_by_sms_once(person, django_capture_on_commit_callbacks):
    def notices():
        return [m for m in factories.outbox_messages() if m["purpose"] == "new_device"]

    with django_capture_on_commit_callbacks(execute=True):
        browser = _signed_in(PHONE_UA)
    assert len(notices()) == 1
    text = notices()[0]["text"]
    assert "新设备" in text and "Safari · iOS" in text and "203.0.113.7" in text
    assert notices()[0]["phone"] == person.phone
    browser.post("/logout/")
    with django_capture_on_commit_callbacks(execute=True):
        assert login(browser, "device_user").status_code == 302
    assert len(notices()) == 1, "this browser is known now"


def test_the_new_device_notice_is_in_the_holders_language(person, django_capture_on_commit_callbacks):
    person.language = "en"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        _signed_in(DESKTOP_UA)
    text = [m for m in factories.outbox_messages() if m["purpose"] == "new_device"][-1]["text"]
    assert "new device" in text and "Chrome · Windows" in text
