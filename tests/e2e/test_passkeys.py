"""Passkeys in Chromium with its virtual authenticator (DevTools WebAuthn domain), in both
languages: enrol under 我的信息 → 两步验证, log out, log in by the login name's autofill and no
name typed; 使用通行密钥登录 with a device that cannot verify its user is refused; a removed passkey
no longer logs in. The platform
is reached as http://localhost:PORT — browsers refuse IP addresses as relying-party IDs."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def relying_party(settings, live_server):
    assert live_server.url.startswith("http://localhost:")
    settings.IDP_ISSUER, settings.IDP_WEBAUTHN_RP_ID = live_server.url, "localhost"


def _authenticator(page) -> tuple:
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return devtools, added["authenticatorId"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_enrol_a_passkey_then_log_in_with_it_and_no_name(new_page, relying_party, t):
    factories.natural_account("passkey_walker", name="孙八")
    page = new_page()
    devtools, authenticator = _authenticator(page)
    log_in(page, "自然人登录", "passkey_walker", factories.PASSWORD, t)
    page.goto("/online/security/")
    page.get_by_label(t("通行密钥名称")).fill("Pixel")
    page.get_by_label(t("登录密码")).fill(factories.PASSWORD)
    page.get_by_role("button", name=t("添加通行密钥")).click()
    expect(page.get_by_role("cell", name="Pixel", exact=True)).to_be_visible()
    page.get_by_role("button", name=t("退出登录")).click()

    # The login name's autofill offers the passkey (conditional UI): Chromium's virtual
    # authenticator picks it at once, and the person is signed in without typing anything.
    page.goto("/login/")
    expect(page.locator(".user-box")).to_contain_text(t("退出登录"))
    page.get_by_role("button", name=t("退出登录")).click()

    # A device that does not verify its user (no PIN, no biometrics) is refused.
    devtools.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": False})
    page.goto("/login/")
    page.get_by_role("button", name=t("使用通行密钥登录")).click()
    expect(page.locator("[data-passkey-error]")).not_to_be_empty()
    expect(page.locator(".user-box")).not_to_contain_text(t("退出登录"))


def test_a_removed_passkey_no_longer_logs_in(new_page, relying_party):
    factories.natural_account("passkey_remover")
    page = new_page()
    _authenticator(page)
    log_in(page, "自然人登录", "passkey_remover", factories.PASSWORD)
    page.goto("/online/security/")
    page.get_by_label("通行密钥名称").fill("旧手机")
    page.get_by_label("登录密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="添加通行密钥").click()
    page.get_by_role("button", name="删除 旧手机").click()
    expect(page.get_by_role("cell", name="旧手机", exact=True)).to_have_count(0)
    page.get_by_role("button", name="退出登录").click()
    page.goto("/login/")
    page.get_by_role("button", name="使用通行密钥登录").click()
    expect(page.locator("[data-passkey-error]")).to_have_text("无法使用该通行密钥登录")
