"""Browser journey: a registry rejection, manual verification, a reviewer's approval."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.screens import shot
from tests.e2e.test_journeys import enrol_authenticator, log_in
from tests.factories import image_bytes, last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rejected_by_registry_then_approved_by_a_reviewer(new_page, live_server, tmp_path):
    staff = factories.natural_account("console_reviewer", password="Review@2026", name="审核员甲")
    staff.is_staff = True
    staff.save()
    front, back = tmp_path / "front.jpg", tmp_path / "back.png"
    front.write_bytes(image_bytes("JPEG", size=(320, 200)))
    back.write_bytes(image_bytes("PNG", size=(320, 200)))

    person = new_page()
    person.goto("/register/natural/")
    person.get_by_label("登录名").fill("wang_fang")
    person.get_by_label("登录密码").fill("Kz9vBq2wLm")
    person.get_by_label("密码确认").fill("Kz9vBq2wLm")
    person.get_by_label("姓名").fill("王芳")
    person.get_by_label("证件类型").select_option("resident_id")
    person.get_by_label("证件号码").fill(factories.resident_id(seq="618"))  # not in the registry
    person.get_by_label("手机号码").fill("13912345688")
    person.get_by_role("button", name="获取验证码").click()
    expect(person.locator("#result_phone")).to_contain_text("验证码已发送")
    person.get_by_label("验证码", exact=True).fill(last_code("13912345688", "register"))
    person.get_by_label("我已阅读并同意《自然人实名注册协议》").check()
    person.get_by_role("button", name="注册账号").click()
    expect(person.get_by_role("heading", name="注册完成")).to_be_visible()

    log_in(person, "自然人登录", "wang_fang", "Kz9vBq2wLm")
    person.get_by_role("link", name="我的信息").click()
    expect(person.locator(".realname-status")).to_contain_text("实名认证失败")
    person.get_by_role("link", name="上传自然人信息").click()
    person.get_by_label("注册人身份证正面").set_input_files(str(front))
    expect(person.locator("#preview_id_front img")).to_be_visible()
    person.get_by_label("注册人身份证反面").set_input_files(str(back))
    person.get_by_role("button", name="提交").click()
    expect(person.locator(".notice-success")).to_contain_text("材料已提交")
    expect(person.locator(".realname-status")).to_contain_text("待人工审核")

    console = new_page()
    console.goto("/console/")
    expect(console).to_have_url(f"{live_server.url}/login/?next=/console/")
    console.get_by_label("登录名").fill("console_reviewer")
    console.get_by_label("密码", exact=True).fill("Review@2026")
    console.get_by_label("验证码").fill("PASSED")
    console.get_by_role("button", name="登录", exact=True).click()
    enrol_authenticator(console)  # staff sign in with a second factor, enrolled at the first login
    expect(console.locator(".queue-card").first).to_contain_text("1")
    console.get_by_role("link", name="自然人人工认证待审核").click()
    expect(console.locator("table")).to_contain_text("wang_fang")
    console.get_by_role("link", name="审核", exact=True).click()
    expect(console.locator(".info-grid").first).to_contain_text("王芳")
    # Before deciding, the reviewer sees what the registry said.
    expect(console.locator(".review-checks")).to_contain_text("国家平台未查询到该证件信息")
    shot(console, "03-review-registry-answer")
    for label in ("注册人身份证正面", "注册人身份证反面"):
        image = console.get_by_role("img", name=label)
        expect(image).to_be_visible()
        assert image.evaluate("img => img.naturalWidth") == 320  # the real upload, decoded
    console.get_by_role("button", name="审核通过").click()
    expect(console.locator(".notice-success")).to_contain_text("已审核通过")

    person.goto("/online/profile/")
    expect(person.locator(".realname-status")).to_contain_text("已审核认证")
    assert any("审核通过" in m["text"] for m in factories.outbox_messages() if m["phone"] == "13912345688")
