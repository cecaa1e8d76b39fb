"""Issue 11, item 15: an attacker can still lock a name, but not its owner's browser: a
browser where the name logged in before (device cookie) gets through the name's lock and the
account's reset pauses; the lock message offers 找回密码."""

import pytest
from django.test import Client

from tests import factories
from tests.accounts.test_login import login
from tests.recovery.test_reset import lookup, reset_data, send_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_slowdown(settings):
    settings.IDP_LOGIN_SLOWDOWN_SECONDS = 0  # the lock, not the slow-down before it, is under test


@pytest.fixture
def owner():
    return factories.natural_account("owner_li", mobile="13955557777")


def test_an_attacker_locks_the_name_but_the_owner_s_browser_still_logs_in(owner):
    own_browser, attacker, new_browser = Client(), Client(), Client()
    assert login(own_browser, "owner_li").status_code == 302  # the owner logged in here before
    own_browser.post("/logout/")
    for _ in range(5):
        login(attacker, "owner_li", password="guess-Guess-1")
    locked = login(attacker, "owner_li").content.decode()
    assert "已暂时锁定" in locked and 'href="/password/forgot/">找回密码</a>' in locked
    assert "已暂时锁定" in login(new_browser, "owner_li").content.decode()  # a browser never used: locked
    assert login(own_browser, "owner_li").status_code == 302  # the owner's browser: through


def test_the_trusted_browser_is_locked_by_its_own_failures(owner, settings):
    own_browser = Client()
    login(own_browser, "owner_li")
    own_browser.post("/logout/")
    for _ in range(settings.IDP_LOGIN_LOCK_FAILURES):
        login(own_browser, "owner_li", password="typo-Typo-1")
    assert "已暂时锁定" in login(own_browser, "owner_li").content.decode()


def test_a_forged_device_cookie_is_ignored(owner):
    attacker = Client()
    for _ in range(5):
        login(attacker, "owner_li", password="guess-Guess-1")
    attacker.cookies["idp_device"] = "forged:value"
    assert "已暂时锁定" in login(attacker, "owner_li").content.decode()


def test_reset_pauses_caused_by_others_do_not_stop_the_owner(owner, settings):
    settings.IDP_RESET_FAILURES_PER_ACCOUNT = 3
    own_browser, attacker = Client(), Client()
    login(own_browser, "owner_li")
    own_browser.post("/logout/")
    lookup(attacker, "owner_li")
    for _ in range(3):
        attacker.post("/password/reset/verify/", reset_data(owner, phone="13900000001", phone_confirm="13900000001",
                                                            code="123456"))
    assert "尝试次数过多" in send_code(attacker, owner).content.decode()  # paused for everyone else
    lookup(own_browser, "owner_li")
    assert "验证码已发送" in send_code(own_browser, owner).content.decode()
