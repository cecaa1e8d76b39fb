"""Browser journeys for the three ways of 密码找回, each ending in a login with the new password."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.screens import shot
from tests.e2e.test_journeys import enrol_authenticator, log_in
from tests.factories import image_bytes, last_code, outbox_messages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW = "Recovered123!"


def assert_only_new_password_works(page, tab, login_name):
    log_in(page, tab, login_name, factories.PASSWORD)
    expect(page.locator(".form-error")).to_have_text("登录名或密码错误")
    log_in(page, tab, login_name, NEW)
    expect(page.locator(".user-box")).to_contain_text("退出登录")


@pytest.mark.parametrize("kind", ["natural", "legal"])
def test_reset_by_login_name(new_page, kind):
    if kind == "natural":
        account = factories.natural_account("reset_me", mobile="13912340656")
    else:
        account = factories.legal_account("reset_org", mobile="13712340656", name="重置测试科技有限公司")
    page = new_page()
    page.goto("/login/")
    page.get_by_role("link", name="忘记密码?").click()
    page.get_by_role("link", name="登录名重置密码").click()
    expect(page.locator(".progress [aria-current=step]")).to_have_text("检索用户")
    page.get_by_label("登录名").fill(account.login_name)
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="检索登录名").click()
    expect(page.locator(".progress [aria-current=step]")).to_have_text("重置密码")
    expect(page.locator(".masked-phone")).to_have_text("13*****656")
    page.get_by_label("预留手机号", exact=True).fill(account.phone)
    page.get_by_label("确认预留手机号").fill(account.phone)
    if kind == "legal":
        page.get_by_label("单位名称").fill("重置测试科技有限公司")
        page.get_by_label("统一社会信用代码").fill(account.organisation.uscc)
    page.get_by_label("密码修改原因").select_option("forgot")
    page.get_by_label("新密码", exact=True).fill(NEW)
    page.get_by_label("确认新密码").fill(NEW)
    page.get_by_label("图片验证码").fill("PASSED")
    page.get_by_role("button", name="获取短信验证码").click()
    expect(page.locator("#row_code .check-result")).to_contain_text("验证码已发送")
    page.get_by_label("手机验证码").fill(last_code(account.phone, "reset_password", wait=5))
    page.get_by_role("button", name="确定", exact=True).click()
    expect(page.locator(".notice-success")).to_contain_text("重置密码已完成")
    page.get_by_role("link", name="确定,并跳转至政务服务平台").click()
    assert_only_new_password_works(page, "自然人登录" if kind == "natural" else "法人登录", account.login_name)


def approve_in_console(new_page, reference):
    staff = factories.natural_account("appeal_desk", password="Review@2026")
    staff.is_staff = True
    staff.save()
    console = new_page()
    log_in(console, "自然人登录", "appeal_desk", "Review@2026")
    enrol_authenticator(console)
    console.goto("/console/")
    console.locator(".queue-card", has_text="申诉").filter(has_text="1").first.click()
    console.get_by_role("row", name=reference).get_by_role("link", name="审核").click()
    expect(console.locator(".evidence-grid img")).to_have_count(2)
    console.get_by_role("button", name="审核通过").click()
    expect(console.locator(".notice-success")).to_contain_text("申诉已通过")


def set_password_from_sms(page, phone):
    text = next(m["text"] for m in reversed(outbox_messages()) if m["phone"] == phone)
    page.goto(text.split("http://127.0.0.1:8000")[1])
    page.get_by_label("新密码", exact=True).fill(NEW)
    page.get_by_label("确认新密码").fill(NEW)
    page.get_by_role("button", name="确定").click()
    expect(page.locator(".notice-success")).to_contain_text("新密码已设置")


def test_natural_person_appeal(new_page, tmp_path):
    number = factories.resident_id(seq="931")
    factories.natural_account("lost_everything", id_number=number, name="申诉人甲")
    front, back = tmp_path / "front.jpg", tmp_path / "back.png"
    front.write_bytes(image_bytes("JPEG"))
    back.write_bytes(image_bytes("PNG"))
    page = new_page()
    page.goto("/password/forgot/")
    page.get_by_role("link", name="自然人申诉找回密码").click()
    page.get_by_label("姓名").fill("申诉人甲")
    page.get_by_label("证件类型").select_option("resident_id")
    page.get_by_label("证件号码").fill(number)
    page.get_by_label("手机号", exact=True).fill("13977778888")
    page.get_by_label("证件正面").set_input_files(str(front))
    page.get_by_label("证件反面").set_input_files(str(back))
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#result_phone")).to_contain_text("验证码已发送")
    page.get_by_label("手机验证码").fill(last_code("13977778888", "appeal"))
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="等待审核")).to_be_visible()
    reference = page.locator(".reference").inner_text()
    approve_in_console(new_page, reference)
    set_password_from_sms(page, "13977778888")
    assert_only_new_password_works(page, "自然人登录", "lost_everything")


def test_legal_person_appeal(new_page, tmp_path):
    account = factories.legal_account("lost_unit", name="申诉测试研究院")
    front, back = tmp_path / "front.png", tmp_path / "back.png"
    front.write_bytes(image_bytes("PNG"))
    back.write_bytes(image_bytes("PNG"))
    page = new_page()
    page.goto("/password/forgot/")
    page.get_by_role("link", name="单位法人用户申诉找回密码").click()
    page.get_by_label("单位全称").fill("申诉测试研究院")
    page.get_by_label("统一社会信用代码").fill(account.organisation.uscc)
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="检索单位名").click()
    expect(page.locator(".notice-info")).to_contain_text("lo***it")
    expect(page.get_by_label("单位名称")).to_have_value("申诉测试研究院")
    expect(page.get_by_label("统一社会信用代码")).to_have_value(account.organisation.uscc)  # carried over
    shot(page, "11-appeal-uscc-carried")
    page.get_by_label("主代办人姓名").fill("新主代办人")
    page.get_by_label("主代办人证件类型").select_option("resident_id")
    page.get_by_label("主代办人证件号码").fill(factories.resident_id(seq="932"))
    page.get_by_label("主代办人移动电话").fill("13766665555")
    page.get_by_label("主代办人证件正面").set_input_files(str(front))
    page.get_by_label("主代办人证件反面").set_input_files(str(back))
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="等待审核")).to_be_visible()
    reference = page.locator(".reference").inner_text()
    approve_in_console(new_page, reference)
    set_password_from_sms(page, "13766665555")
    assert_only_new_password_works(page, "法人登录", "lost_unit")
