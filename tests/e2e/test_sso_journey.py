"""Browser journey (issue 6): log in once through the 高企认定 demo (OIDC), enter the 科小企评价
demo (CAS) without logging in again, act for an organisation that delegated to you, then log
out of the platform and find both demos logged out (back-channel and CAS single logout)."""

import re
import threading

import pytest
from playwright.sync_api import expect

from demos.cas_demo import CasDemo
from demos.common import serve
from demos.oidc_demo import OidcDemo
from idp.delegation.services import create_grants
from idp.demo import clients as demo_clients
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running():
    """Start WSGI apps on free ports in threads; stop them afterwards."""
    servers, apps_started = [], []

    def start(make_app):
        apps = []
        server = serve(lambda environ, start_response: apps[0](environ, start_response), "127.0.0.1", 0)
        base = f"http://127.0.0.1:{server.server_port}"
        apps.append(make_app(base))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        apps_started.append(apps[0])
        return base, apps[0]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    for app in apps_started:
        if hasattr(app, "close"):
            app.close()  # no keep-alive connection to the live server outlives the test


@pytest.fixture
def demos(live_server, settings, running):
    """The two demo business systems against the live platform, and a person whom an
    organisation authorised in both. Returns (OIDC demo URL, CAS demo URL, organisation)."""
    settings.IDP_ISSUER = live_server.url
    systems = factories.demo_systems()
    person = factories.verified(factories.natural_account("chen_jing", name="陈静"))
    org = factories.verified(factories.legal_account("xinghuo", name="星火新材料有限公司"))
    create_grants(organisation=org, person=person, systems=[systems["gqrd"], systems["kxqpj"]],
                  expires_on=None, actor=org)
    oidc_url, oidc_app = running(lambda base: OidcDemo(issuer=live_server.url, base_url=base,
                                                       client_id="", client_secret=""))
    cas_url, _ = running(lambda base: CasDemo(platform_url=live_server.url, base_url=base))
    registered = demo_clients.register_demo_clients(oidc_url, cas_url, write=False)["oidc"]
    oidc_app.client_id, oidc_app.client_secret = registered["client_id"], registered["client_secret"]
    return oidc_url, cas_url, org


def log_in_at_the_platform(page):
    page.get_by_label("登录名").fill("chen_jing")
    page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="登录", exact=True).click()


def act_for_the_organisation(page):
    page.get_by_label("代 星火新材料有限公司 办理").check()
    page.get_by_role("button", name="进入业务系统").click()


def expect_logged_out(page, url):
    page.goto(url)
    for _ in range(40):  # the notification may still be on its way: reload until it arrived
        if page.get_by_role("status").inner_text() == "未登录":
            break
        page.wait_for_timeout(250)
        page.reload()
    expect(page.get_by_role("status")).to_have_text("未登录")


def test_one_login_two_business_systems_act_for_an_organisation_single_logout(page, live_server, demos):
    oidc_url, cas_url, org = demos

    # 高企认定 (OIDC): the entrance sends us to the platform's login window.
    page.goto(oidc_url + "/apply")
    expect(page.get_by_role("tab", name="自然人登录")).to_be_visible()
    assert page.url.startswith(live_server.url + "/login/?")
    log_in_at_the_platform(page)
    act_for_the_organisation(page)
    expect(page.get_by_role("heading", name="高企认定(演示)")).to_be_visible()
    expect(page.locator('[data-field="当前用户"]')).to_have_text("陈静")
    expect(page.locator('[data-field="单位名称"]')).to_have_text("星火新材料有限公司")
    expect(page.locator('[data-field="统一社会信用代码"]')).to_have_text(org.organisation.uscc)

    # 科小企评价 (CAS): no password this time — only whom we act for.
    page.goto(cas_url + "/fill")
    expect(page.get_by_role("heading", name="进入“科小企评价”")).to_be_visible()
    expect(page.get_by_label("登录名")).to_have_count(0)
    act_for_the_organisation(page)
    expect(page.get_by_role("heading", name="科小企评价(演示)")).to_be_visible()
    expect(page.locator('[data-field="办理身份"]')).to_have_text("代 星火新材料有限公司 办理")
    expect(page.locator('[data-field="当前用户"]')).to_have_text("陈静")

    # Log out of the platform: the worker tells both systems.
    page.goto(live_server.url + "/online/")
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_text("您已安全退出登录")).to_be_visible()
    expect_logged_out(page, oidc_url + "/")
    expect_logged_out(page, cas_url + "/")


def test_logging_out_in_a_business_system_logs_out_of_the_platform_and_the_other_system(
        page, live_server, demos):
    oidc_url, cas_url, _ = demos
    page.goto(oidc_url + "/apply")
    log_in_at_the_platform(page)
    act_for_the_organisation(page)
    page.goto(cas_url + "/fill")
    act_for_the_organisation(page)

    # 退出登录 in the CAS demo: CAS logout asks (a GET from anywhere must not log out), then
    # ends the platform session and returns to the demo.
    page.get_by_role("link", name="退出登录").click()
    page.get_by_role("button", name="确认退出登录").click()
    expect(page.get_by_role("heading", name="科小企评价(演示)")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("未登录")
    expect_logged_out(page, oidc_url + "/")

    # 退出登录 in the OIDC demo: RP-initiated logout with the ID token, back to the demo.
    page.goto(oidc_url + "/apply")
    log_in_at_the_platform(page)
    act_for_the_organisation(page)
    page.get_by_role("link", name="退出登录").click()
    expect(page.get_by_role("heading", name="高企认定(演示)")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("未登录")
    page.goto(live_server.url + "/online/profile/")
    expect(page.get_by_role("tab", name="自然人登录")).to_be_visible()  # the platform asks to log in again


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_signing_on_to_a_business_system_with_the_keyboard_only(page, live_server, demos, t):
    from tests.e2e.test_accessibility import tab_to

    oidc_url, _, _ = demos
    page.goto(oidc_url + "/apply")
    expect(page.get_by_role("tab", name=t("自然人登录"))).to_be_visible()
    order = []
    tab_to(page, t("登录名"), order, most=25)
    page.keyboard.type("chen_jing")
    tab_to(page, t("密码"), order)
    page.keyboard.type(factories.PASSWORD)
    tab_to(page, t("验证码"), order)
    page.keyboard.type("PASSED")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=t("进入业务系统"))).to_be_visible()  # whom do you act for?
    option = t("代 <strong>%(name)s</strong> 办理(统一社会信用代码 %(uscc)s)") % {"name": "星火新材料有限公司",
                                                                                "uscc": ""}
    for_organisation = re.split(r"[((]", re.sub("<[^>]+>", "", option))[0].strip()  # 代 星火新材料有限公司 办理
    tab_to(page, for_organisation, order, most=25)  # 高企认定 is for organisations only
    page.keyboard.press("Space")
    expect(page.get_by_label(for_organisation)).to_be_checked()
    tab_to(page, t("进入业务系统"), order)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="高企认定(演示)")).to_be_visible()
    expect(page.locator('[data-field="单位名称"]')).to_have_text("星火新材料有限公司")
