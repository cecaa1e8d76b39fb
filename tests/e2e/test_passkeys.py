"""Passkeys in Chromium with its virtual authenticator (DevTools WebAuthn domain): enrol under
我的信息 → 两步验证, log out, log in with 使用通行密钥登录 and no name (both languages); a device that
cannot verify its user is refused; a removed passkey no longer logs in; the login name's autofill
offers the passkey (conditional UI). The platform is reached as http://localhost:PORT — browsers
refuse IP addresses as relying-party IDs."""

import pytest
from playwright.sync_api import expect

from idp.audit.models import AuditEntry, Event
from tests import factories
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The button's ceremony alone: the autofill's (conditional) request, which the virtual
# authenticator would answer at once on its own, is not started.
BUTTON_ONLY = "PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);"


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


def _enrol(page, login_name, name, t=str):
    log_in(page, "自然人登录", login_name, factories.PASSWORD, t)
    page.goto("/online/security/")
    page.get_by_label(t("通行密钥名称")).fill(name)
    page.get_by_label(t("登录密码")).fill(factories.PASSWORD)
    page.get_by_role("button", name=t("添加通行密钥")).click()
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_enrol_a_passkey_then_log_in_with_it_and_no_name(new_page, relying_party, t):
    factories.natural_account("passkey_walker", name="孙八")
    page = new_page()
    page.context.add_init_script(BUTTON_ONLY)
    devtools, authenticator = _authenticator(page)
    _enrol(page, "passkey_walker", "Pixel", t)
    page.get_by_role("button", name=t("退出登录")).click()

    page.goto("/login/")
    page.get_by_role("button", name=t("使用通行密钥登录")).click()
    expect(page.locator(".user-box")).to_contain_text(t("退出登录"))
    page.get_by_role("button", name=t("退出登录")).click()

    # A device that does not verify its user (no PIN, no biometrics) is refused.
    devtools.send("WebAuthn.setUserVerified", {"authenticatorId": authenticator, "isUserVerified": False})
    page.goto("/login/")
    page.get_by_role("button", name=t("使用通行密钥登录")).click()
    expect(page.locator("[data-passkey-error]")).not_to_be_empty()
    expect(page.locator(".user-box")).not_to_contain_text(t("退出登录"))


def test_the_login_names_autofill_offers_the_passkey(new_page, relying_party):
    account = factories.natural_account("passkey_autofill")
    page = new_page()
    _authenticator(page)
    _enrol(page, "passkey_autofill", "笔记本")
    page.get_by_role("button", name="退出登录").click()
    # The logout lands on the login page. Nothing typed, nothing pressed: the virtual authenticator
    # answers the autofill's request there, and the person is signed in again by the passkey.
    expect(page.locator(".user-box")).to_contain_text("退出登录", timeout=20000)
    events = list(AuditEntry.objects.filter(account=account, event__in=[Event.LOGIN, Event.LOGOUT])
                  .order_by("id").values_list("event", "detail__method"))
    assert events[-2:] == [(Event.LOGOUT, None), (Event.LOGIN, "passkey")], events


def test_a_removed_passkey_no_longer_logs_in(new_page, relying_party):
    factories.natural_account("passkey_remover")
    page = new_page()
    page.context.add_init_script(BUTTON_ONLY)
    _authenticator(page)
    _enrol(page, "passkey_remover", "旧手机")
    page.get_by_role("button", name="删除 旧手机").click()
    expect(page.get_by_role("cell", name="旧手机", exact=True)).to_have_count(0)
    page.get_by_role("button", name="退出登录").click()
    page.goto("/login/")
    page.get_by_role("button", name="使用通行密钥登录").click()
    expect(page.locator("[data-passkey-error]")).to_have_text("无法使用该通行密钥登录")
