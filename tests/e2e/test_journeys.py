"""Browser journeys through the real pages, in Chromium, against a live server."""

import pytest
from playwright.sync_api import expect

from idp.accounts.models import Account
from tests import factories
from tests.e2e.screens import shot
from tests.factories import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, tab, login_name, password, t=str):
    """Log in from the login page's `tab`; `t` gives the page's text for a Chinese source string."""
    page.goto("/login/")
    page.get_by_role("tab", name=t(tab)).click()
    page.get_by_label(t("登录名")).fill(login_name)
    page.get_by_label(t("密码"), exact=True).fill(password)
    page.get_by_label(t("验证码")).fill("PASSED")
    page.get_by_role("button", name=t("登录"), exact=True).click()


def enrol_authenticator(page) -> str:
    """A staff member's first login: bind an authenticator app (computing the codes as the app
    would from the secret on the page), keep the recovery codes, continue. Returns the secret."""
    import pyotp

    expect(page.get_by_role("heading", name="开启两步验证")).to_be_visible()
    secret = page.locator(".mfa-secret").inner_text()
    page.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="绑定").click()
    expect(page.get_by_role("heading", name="两步验证已开启")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="我已保存,继续").click()
    return secret


def test_natural_person_registers_logs_in_and_sees_my_information(page):
    """Register with an SMS code from the outbox, log in at 自然人登录, open 我的信息."""
    id_number = factories.resident_id(seq="271")
    page.goto("/register/")
    page.get_by_role("link", name="自然人注册").click()
    page.get_by_label("登录名").fill("li_lei")
    page.get_by_role("button", name="检索登录名是否已注册").click()
    expect(page.locator("#result_login_name")).to_contain_text("该登录名可以使用")
    page.get_by_label("登录密码").fill("Kz9vBq2wLm")
    expect(page.locator(".strength")).to_have_attribute("data-level", "2")
    page.get_by_label("密码确认").fill("Kz9vBq2wLm")
    page.get_by_label("姓名").fill("李雷")
    page.get_by_label("中华人民共和国大陆地区").check()
    page.get_by_label("证件类型").select_option("resident_id")
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_label("手机号码").fill("13912345601")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#result_phone")).to_contain_text("验证码已发送")
    expect(page.get_by_role("button", name="获取验证码")).to_be_disabled()
    page.get_by_label("验证码", exact=True).fill(last_code("13912345601", "register"))
    page.get_by_label("我已阅读并同意《自然人实名注册协议》").check()
    page.get_by_role("button", name="注册账号").click()
    expect(page.get_by_role("heading", name="注册完成")).to_be_visible()
    # Not in the reference registry: the done page says so and what to do next.
    expect(page.get_by_text("国家平台实名认证未通过")).to_be_visible()
    shot(page, "15-register-done")

    page.get_by_role("link", name="登录并查看我的信息").click()
    log_in(page, "自然人登录", "li_lei", "Kz9vBq2wLm")
    expect(page.locator(".user-box")).to_contain_text("李雷")
    expect(page.locator(".user-box")).to_contain_text("用户类型:自然人")
    page.get_by_role("link", name="我的信息").click()
    # Not in the reference registry: the automatic check failed and says what to do.
    expect(page.locator(".realname-status")).to_contain_text("实名认证失败")
    expect(page.locator(".realname-reason")).to_contain_text("人工认证")
    expect(page.locator(".info-grid")).to_contain_text("******" + id_number[-4:])
    expect(page.locator("body")).not_to_contain_text(id_number)


def test_natural_person_edits_profile_and_changes_password(page):
    """Edit 我的信息, change the password, log in again with the new one only."""
    factories.natural_account("han_mei", name="韩梅梅")
    log_in(page, "自然人登录", "han_mei", factories.PASSWORD)
    page.get_by_role("link", name="我的信息").click()
    page.get_by_role("link", name="修改个人信息").click()
    page.get_by_label("职务").fill("研究员")
    page.get_by_label("民族").fill("汉族")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".notice")).to_contain_text("信息已保存")
    expect(page.locator(".info-grid")).to_contain_text("研究员")

    page.get_by_role("link", name="修改个人信息").click()
    page.get_by_role("link", name="修改密码").click()
    page.get_by_label("原密码").fill(factories.PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Newpass123!")
    page.get_by_label("确认新密码").fill("Newpass123!")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".notice")).to_contain_text("密码已修改")
    page.get_by_role("button", name="退出登录").click()

    log_in(page, "自然人登录", "han_mei", factories.PASSWORD)
    expect(page.locator(".form-error")).to_have_text("登录名或密码错误")
    log_in(page, "自然人登录", "han_mei", "Newpass123!")
    expect(page.locator(".user-box")).to_contain_text("韩梅梅")


def test_legal_person_registers_and_logs_in_only_at_legal_tab(page):
    """Register an organisation, fail at 自然人登录, succeed at 法人登录, edit 我的信息."""
    code = factories.uscc()
    page.goto("/register/legal/")
    page.get_by_label("登录名").fill("acme_org")
    page.get_by_label("密码", exact=True).fill("Kz9vBq2wLm!")
    page.get_by_label("重复密码").fill("Kz9vBq2wLm!")
    page.get_by_label("法人单位名称").fill("示例创新科技有限公司")
    page.get_by_role("button", name="检索单位是否已经存在").click()
    expect(page.locator("#result_org_name")).to_contain_text("该单位尚未注册")
    page.get_by_label("统一社会信用代码").fill(code)
    page.get_by_role("button", name="检索统一社会信用代码是否已经存在").click()
    expect(page.locator("#result_uscc")).to_contain_text("尚未注册")
    page.get_by_label("法定代表人姓名").fill("赵六")
    page.get_by_label("法定代表人手机号码").fill("13600001234")
    page.get_by_label("法定代表人证件类型").select_option("resident_id")
    page.get_by_label("法定代表人证件号码").fill(factories.resident_id())
    page.get_by_label("法定代表人证件有效期起").fill("2020-01-01")
    page.locator("#id_lr_id_long_term").check()
    page.get_by_label("主代办人姓名").fill("钱七")
    page.get_by_label("主代办人手机号码").fill("13700001234")
    # The other identity type narrows the document types to that type's.
    page.locator("input[name=agent_identity_type][value=other]").check()
    expect(page.locator("#id_agent_id_type option[value=resident_id]")).to_be_disabled()
    page.get_by_label("主代办人证件类型").select_option("passport")
    page.get_by_label("主代办人证件号码").fill("E12345678")
    page.get_by_label("主代办人证件有效期起").fill("2019-06-01")
    page.get_by_label("主代办人证件有效期止").fill("2029-05-31")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#result_agent_mobile")).to_contain_text("验证码已发送")
    page.get_by_label("主代办人手机号验证码").fill(last_code("13700001234", "register_agent"))
    page.get_by_label("我已阅读并同意《法人实名注册协议》").check()
    page.get_by_role("button", name="注册账号").click()
    expect(page.get_by_role("heading", name="注册完成")).to_be_visible()
    assert Account.objects.get(login_name="acme_org").organisation.uscc == code

    log_in(page, "自然人登录", "acme_org", "Kz9vBq2wLm!")
    expect(page.locator(".form-error")).to_have_text("登录名或密码错误")
    log_in(page, "法人登录", "acme_org", "Kz9vBq2wLm!")
    expect(page.locator(".user-box")).to_contain_text("法人(单位管理员)")
    page.get_by_role("link", name="我的信息").click()
    expect(page.locator("#basic")).to_contain_text(code)
    page.get_by_role("link", name="修改法人信息").click()
    page.get_by_label("单位简称").fill("示例创新")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#basic")).to_contain_text("示例创新")


def test_registration_error_keeps_input_in_the_browser(page):
    """A wrong check character is reported beside the field and nothing typed is lost."""
    page.goto("/register/natural/")
    page.get_by_label("登录名").fill("wang_wu")
    page.get_by_label("姓名").fill("王五")
    page.get_by_label("证件类型").select_option("resident_id")
    page.get_by_label("证件号码").fill("110105194912310021")
    page.get_by_role("button", name="注册账号").click()
    expect(page.locator("#row_id_number .error")).to_contain_text("校验位错误")
    expect(page.get_by_label("登录名")).to_have_value("wang_wu")
    expect(page.get_by_label("姓名")).to_have_value("王五")
    expect(page.get_by_label("证件号码")).to_have_value("110105194912310021")
