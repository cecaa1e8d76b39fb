"""Signing in with the upstream provider in a real browser, in both languages: the login page's
button, the upstream's own pages (node's oidc-provider), and back — linked by a verified number,
linked by a password, or refused at the upstream. Every page of the platform visited is checked
with axe (conftest)."""

import pytest
from playwright.sync_api import expect

from idp.accounts.models import NaturalPerson
from idp.federation.models import FederatedIdentity
from tests import factories
from tests.federation.upstream import ZHANG_ID, Upstream

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BUTTON = "使用%(name)s登录"
NAME = "国家政务服务平台"


@pytest.fixture
def upstream(tmp_path, settings, live_server):
    settings.IDP_ISSUER = live_server.url  # the callback the upstream sends the browser back to
    server = Upstream(tmp_path, platform=live_server.url)
    server.register(kinds="natural")
    yield server
    server.stop()


def at_upstream(page, person, *, consent=True):
    """The upstream's own pages: its login (any password), then its consent."""
    page.locator("input[name=login]").fill(person)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    if consent:
        page.get_by_role("button", name="Continue").click()
    else:
        page.get_by_role("link", name="[ Cancel ]").click()


def start(page, t):
    page.goto("/login/")
    page.get_by_role("link", name=t(BUTTON) % {"name": NAME}).click()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_verified_person_signs_in_with_the_upstream_and_sees_the_link(page, upstream, t):
    account = factories.verified(factories.natural_account("zhang_fed", id_number=ZHANG_ID, name="张三"))
    NaturalPerson.objects.filter(account=account).update(verified_id_index=account.person.id_index)
    start(page, t)
    at_upstream(page, "zhang")
    expect(page.locator(".user-box")).to_contain_text(t("退出登录"))
    page.goto("/online/profile/")
    linked = page.locator("#linked")
    expect(linked).to_contain_text(NAME)
    expect(linked.get_by_role("button", name=t("解除关联"))).to_be_visible()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_person_without_a_linked_account_links_one_by_password(page, upstream, t):
    account = factories.natural_account("wang_fed", name="王五")
    start(page, t)
    at_upstream(page, "wang")
    expect(page.get_by_role("heading", name=t("关联已有账号"))).to_be_visible()
    page.get_by_label(t("登录名")).fill("wang_fed")
    page.get_by_label(t("密码"), exact=True).fill(factories.PASSWORD)
    page.get_by_label(t("验证码")).fill("PASSED")
    page.get_by_role("button", name=t("登录并关联")).click()
    expect(page.locator(".user-box")).to_contain_text(t("退出登录"))
    assert FederatedIdentity.objects.get(account=account).how == "password"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_refusal_at_the_upstream_ends_on_a_page_that_offers_the_password_login(page, upstream, t):
    start(page, t)
    at_upstream(page, "zhang", consent=False)
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_role("link", name=t("使用账号密码登录")).click()
    expect(page.get_by_role("tab", name=t("自然人登录"))).to_be_visible()
