"""Issue 25, the newcomer's walk in Chromium: each finding, driven as the walker met it."""

import io
import re

import pytest
from playwright.sync_api import expect

from idp.recovery.models import AppealFile
from tests import factories
from tests.factories import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 667}


def _phone_photo(path, megabytes: float = 4.3):
    """A real photo of about `megabytes` MB: noise compresses badly, as a camera's detail does."""
    import os

    from PIL import Image

    side = 2400
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    quality = 95
    image.save(buffer, "JPEG", quality=quality)
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size > megabytes * 1024 * 1024 * 0.8
    return path


def test_a_phone_photo_is_made_smaller_in_the_browser_and_the_appeal_goes_through(page, tmp_path):
    """Major 1: a 4.3 MB phone photo was a server error and everything typed was lost."""
    number = factories.resident_id(seq="532")
    photo, back = _phone_photo(tmp_path / "IMG_2041.jpg"), tmp_path / "back.png"
    back.write_bytes(factories.image_bytes("PNG", size=(320, 200)))
    page.goto("/password/appeal/person/")
    page.get_by_label("姓名").fill("申诉人")
    page.get_by_label("证件类型").select_option("resident_id")
    page.get_by_label("证件号码").fill(number)
    page.get_by_label("手机号").fill("13977776532")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#result_phone")).to_contain_text("验证码已发送")
    page.get_by_label("手机验证码").fill(last_code("13977776532", "appeal"))
    page.get_by_label("证件正面").set_input_files(str(photo))
    expect(page.locator(".file-name").first).to_contain_text("压缩为")
    page.get_by_label("证件反面").set_input_files(str(back))
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="等待审核")).to_be_visible()
    front = AppealFile.objects.get(side="front")
    assert front.content_type == "image/jpeg" and front.size <= 1024 * 1024


def test_a_file_of_the_wrong_type_is_named_before_anything_is_sent(page, tmp_path):
    person = factories.natural_account("upload_walker", password="Kz9vBq2wLm")
    from tests.e2e.test_journeys import log_in

    log_in(page, "自然人登录", person.login_name, "Kz9vBq2wLm")
    page.goto("/online/verification/")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a document")
    page.get_by_label("注册人身份证正面").set_input_files(str(notes))
    expect(page.locator("#fileerror_id_front")).to_contain_text("文件类型不符")
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/online/verification/$"))
    assert page.evaluate("document.activeElement.id") == "id_id_front"  # nothing sent; the file named


def test_the_login_page_on_a_phone(new_page):
    """Major 2 and minors: no template comment as text; on a 375 px phone the form is on the first
    screen, its inputs are 16 px (no zoom), and the focus starts on 登录名 — also after a failed
    login and after switching tabs."""
    factories.natural_account("phone_walker")
    page = new_page()
    page.set_viewport_size(PHONE)
    page.goto("/login/")
    assert "{#" not in page.content() and "#}" not in page.content()
    name = page.get_by_label("登录名")
    box = name.bounding_box()
    assert box["y"] + box["height"] < PHONE["height"], box
    assert name.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 16
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(name).to_be_focused()
    page.get_by_role("tab", name="法人登录").click()
    expect(page.get_by_label("登录名")).to_be_focused()
    page.get_by_label("登录名").fill("phone_walker")
    page.get_by_label("密码", exact=True).fill("wrong-Passw0rd")
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.locator(".form-error")).to_contain_text("登录名或密码错误")
    expect(page.get_by_label("登录名")).to_be_focused()


def test_the_organisations_registration_switches_its_fields_with_the_kind_of_unit(page):
    page.goto("/register/legal/")
    uscc, other = page.locator("#row_uscc"), page.locator("#row_registration_number")
    expect(uscc).to_be_visible()
    expect(other).to_be_hidden()
    page.get_by_label("境外单位").check()
    expect(uscc).to_be_hidden()
    expect(other).to_be_visible()
    page.get_by_label("港澳台地区单位").check()
    expect(other).to_be_visible()
    page.get_by_label("境内单位").check()
    expect(uscc).to_be_visible()


def test_the_strength_meter_never_calls_a_refused_password_strong(page):
    page.goto("/register/natural/")
    password = page.get_by_label("登录密码")
    password.fill("Password123!")
    meter = page.locator(".strength[data-for=id_password]")
    expect(page.locator("#result_password")).to_contain_text("常见")
    expect(meter).to_have_attribute("data-level", "1")
    password.fill("Kq7#vLm2pX9!wR")
    expect(meter).to_have_attribute("data-level", "3")


def test_the_delegation_page_on_a_desktop_and_a_phone(new_page):
    """Major 4: the 修改 button was covered by the next column; at 375 px the page scrolled sideways."""
    from idp.delegation.services import create_grants

    systems = factories.demo_systems()
    org = factories.verified(factories.legal_account("walk_org", password="Kz9vBq2wLm", name="走查科技有限公司"))
    person = factories.verified(factories.natural_account(name="被授权人"))
    create_grants(organisation=org, person=person, systems=[systems["gqrd"]], expires_on=None, actor=org)
    from tests.e2e.test_journeys import log_in

    page = new_page()
    log_in(page, "法人登录", "walk_org", "Kz9vBq2wLm")
    page.goto("/online/delegation/")
    change = page.get_by_role("button", name="修改")
    box = change.bounding_box()
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).textContent.trim()",
                           [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert on_top == "修改"
    page.set_viewport_size(PHONE)
    page.goto("/online/delegation/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_role("button", name="修改")).to_be_visible()


def test_a_second_press_for_a_reset_code_counts_down(page):
    """Minor: a second 获取短信验证码 within 60 s said 已发送 but sent nothing and showed no countdown."""
    person = factories.natural_account("countdown_walker", mobile="13966665555")
    page.goto("/password/reset/")
    page.get_by_label("登录名").fill(person.login_name)
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="检索登录名").click()
    page.get_by_label("预留手机号", exact=True).fill(person.phone)
    page.get_by_label("图片验证码").fill("PASSED")
    page.get_by_role("button", name="获取短信验证码").click()
    expect(page.locator("#row_code .check-result")).to_contain_text("验证码已发送")
    expect(page.locator("button[name=send_code]")).to_be_disabled()  # counting down from 60
    expect(page.locator("button[name=send_code]")).to_contain_text("秒后重新获取")
