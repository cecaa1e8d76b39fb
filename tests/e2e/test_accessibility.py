"""WCAG 2.1 A/AA with axe-core: the checker finds what it should, and the pages a person reaches
from the header and the left menu — signed out and signed in — are visited (and so checked by the
`new_page` fixture, tests/e2e/accessibility.py)."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e import accessibility
from tests.e2e.screens import shot
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_checker_reports_an_unlabelled_field_and_low_contrast(page):
    page.set_content('<html lang="zh-CN"><title>t</title><main><input type="text">'
                     '<p style="color:#ccc;background:#fff">浅色文字</p></main></html>')
    found = " ".join(accessibility.violations(page))
    assert "label" in found and "color-contrast" in found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_of_the_header_and_the_menus_is_visited(page, t):
    factories.demo_systems()
    for url in ["/", "/services/", "/services/?kind=legal", "/notices/", "/consult/", "/results/", "/search/?q=高企",
                "/legacy/lookup/", "/login/", "/register/", "/register/natural/", "/register/legal/",
                "/password/forgot/", "/password/reset/", "/no/such/page/"]:
        page.goto(url)
        assert not accessibility.violations(page), url
    factories.natural_account("axe_user", name="无障碍")
    log_in(page, "自然人登录", "axe_user", factories.PASSWORD, t)
    for link in ["我的信息", "我的关注", "我要办理", "我的事项", "我的评价", "我的咨询"]:
        with page.expect_navigation():
            page.get_by_role("link", name=t(link), exact=True).first.click()
        assert not accessibility.violations(page), link


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_logging_in_with_the_keyboard_only(page, t):
    factories.legal_account("keys_only", name="键盘科技有限公司")
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=t("跳到主要内容"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.goto("/login/")
    # The login page opens in the selected tab's 登录名 (issue 25: it took 14 Tabs to get there).
    expect(page.get_by_label(t("登录名"))).to_be_focused()
    page.keyboard.press("Shift+Tab")  # the intro has no controls: the selected tab is before it
    expect(page.get_by_role("tab", name=t("自然人登录"))).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name=t("法人登录"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name=t("法人登录"))).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name=t("法人登录"))).to_be_visible()
    page.get_by_role("tab", name=t("法人登录")).focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label(t("登录名"))).to_be_focused()
    page.keyboard.type("keys_only")
    page.keyboard.press("Tab")
    expect(page.get_by_label(t("密码"), exact=True)).to_be_focused()
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_label(t("验证码"))).to_be_focused()
    page.keyboard.type("PASSED")
    page.keyboard.press("Enter")
    expect(page.locator(".user-box")).to_contain_text("键盘科技有限公司")


def test_the_password_strength_is_announced_as_text(page):
    page.goto("/register/natural/")
    page.get_by_label("登录密码").fill("abc")
    expect(page.locator(".strength-text")).to_have_text("密码强度:弱")
    page.get_by_label("登录密码").fill("Kz9vBq2wLm!x")
    expect(page.locator(".strength-text")).to_have_text("密码强度:强")


@pytest.mark.parametrize(("width", "why"), [(375, "phone"), (640, "zoom-200")])
def test_pages_fit_a_phone_and_200_percent_zoom_without_sideways_scrolling(page, width, why):
    """WCAG 1.4.10 (reflow): at 375 CSS px (a phone) and 640 (a 1280 px window at 200% zoom)
    nothing needs horizontal scrolling. Screenshots: var/screenshots/experience/<why>-*.png."""
    factories.demo_systems()
    page.set_viewport_size({"width": width, "height": 800})
    pages = ["/", "/services/", "/login/", "/register/natural/", "/register/legal/", "/legacy/lookup/",
             "/password/reset/", "/results/"]
    for url in pages:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
    shot(page, f"{why}-results")
    page.goto("/")
    shot(page, f"{why}-home")
    factories.natural_account("phone_user", name="手机用户")
    log_in(page, "自然人登录", "phone_user", factories.PASSWORD)
    for url in ["/online/profile/", "/online/profile/edit/", "/online/verification/", "/online/matters/",
                "/online/ratings/", "/online/questions/"]:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
    shot(page, f"{why}-questions")


def focus_name(page) -> str:
    """The focused element's label (or its text), as a screen reader would name it."""
    return page.evaluate("""() => { const e = document.activeElement;
        const label = e.labels && e.labels.length ? e.labels[0].innerText : '';
        return (label || e.getAttribute('aria-label') || e.innerText || e.value || e.tagName).trim(); }""")


def tab_to(page, name: str, order: list[str], most: int = 12) -> None:
    """Press Tab until the element named `name` has focus, recording every stop in `order`."""
    for _ in range(most):
        page.keyboard.press("Tab")
        order.append(focus_name(page))
        if order[-1].startswith(name):
            return
    raise AssertionError(f"{name} not reached by Tab; stops: {order[-most:]}")


def type_by_keyboard(page, order: list[str], *steps: tuple[str, str]) -> None:
    """For each (field name, text): Tab to the field, type the text."""
    for name, text in steps:
        tab_to(page, name, order)
        page.keyboard.type(text)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_registering_with_the_keyboard_only(page, t, language):
    from tests.factories import last_code

    mobile = {"zh-hans": "13912345515", "en": "13912345525"}[language]
    page.goto("/register/natural/")
    page.get_by_label(t("登录名")).focus()
    order = []
    page.keyboard.type(f"keyboard_{language[:2]}")
    tab_to(page, t("检索登录名是否已注册"), order)
    page.keyboard.press("Enter")
    expect(page.locator("#result_login_name")).to_contain_text(t("该登录名可以使用"))
    type_by_keyboard(page, order, (t("登录密码"), "Kz9vBq2wLm"), (t("密码确认"), "Kz9vBq2wLm"), (t("姓名"), "键盘李"))
    tab_to(page, t("中华人民共和国大陆地区"), order)
    page.keyboard.press("Space")
    tab_to(page, t("证件类型"), order)
    page.keyboard.press("ArrowDown")  # the first type offered: 居民身份证
    expect(page.get_by_label(t("证件类型"))).to_have_value("resident_id")
    tab_to(page, t("证件号码"), order)
    page.keyboard.type(factories.resident_id(seq=mobile[-3:]))
    tab_to(page, t("手机号码"), order)
    page.keyboard.type(mobile)
    tab_to(page, t("获取验证码"), order)  # past the code box, which stands before its button as on screen
    page.keyboard.press("Enter")
    expect(page.locator("#result_phone")).to_contain_text(t("验证码已发送,5 分钟内有效"))
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_label(t("验证码"), exact=True)).to_be_focused()
    page.keyboard.type(last_code(mobile, "register"))
    tab_to(page, t("我已阅读并同意{title}").format(title=t("《自然人实名注册协议》")), order)
    page.keyboard.press("Space")
    tab_to(page, t("注册账号"), order)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=t("注册完成"))).to_be_visible()
    fields = [t(name) for name in ["登录密码", "密码确认", "姓名", "证件号码", "手机号码", "注册账号"]]
    assert [stop for stop in order if stop in fields] == fields, order  # the visual order


def open_file_chooser(page):
    """Space opens a focused file input's chooser, and so does Enter. Headless Chromium on a busy machine
    has been seen to drop a key, and to announce a chooser only after a short wait had given up on it:
    Chromium then holds that chooser open and ignores every later key. So one listener stays for the whole
    attempt, catching a late chooser too, and the next key is tried only after a long quiet wait."""
    choosers = []

    def caught(chooser):
        choosers.append(chooser)

    page.on("filechooser", caught)
    try:
        for key in ("Space", "Enter"):
            page.keyboard.press(key)
            for _ in range(150):  # up to 15 s
                if choosers:
                    return choosers[0]
                page.wait_for_timeout(100)
    finally:
        page.remove_listener("filechooser", caught)
    raise AssertionError("the file chooser did not open from the keyboard")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_uploading_verification_documents_with_the_keyboard_only(page, t):
    person = factories.natural_account("keys_upload", name="键盘王")
    log_in(page, "自然人登录", person.login_name, factories.PASSWORD, t)
    page.goto("/online/verification/")
    page.get_by_role("link", name=t("样式")).first.focus()
    order = []
    for label, name in [(t("注册人身份证正面"), "正面.png"), (t("注册人身份证反面"), "反面.png")]:
        tab_to(page, label, order)
        expect(page.get_by_label(label, exact=True)).to_be_focused()
        chooser = open_file_chooser(page)  # the styled 选择文件 control is the real file input underneath
        chooser.set_files(files=[{"name": name, "mimeType": "image/png", "buffer": factories.image_bytes("PNG")}])
        expect(page.get_by_text(name)).to_be_visible()
    tab_to(page, t("提交"), order)
    page.keyboard.press("Enter")
    expect(page.locator(".notice-success")).to_contain_text(t("材料已提交,请等待人工审核,审核结果将以短信通知您"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_authorising_a_person_with_the_keyboard_only(page, t):
    factories.demo_systems()
    factories.verified(factories.legal_account("keys_org", name="键盘授权有限公司"))
    person = factories.verified(factories.natural_account("keys_person", name="周键",
                                                          id_number=factories.resident_id(seq="516")))
    log_in(page, "法人登录", "keys_org", factories.PASSWORD, t)
    page.goto("/online/delegation/")
    page.get_by_label(t("被授权人登录名")).focus()
    order = []
    page.keyboard.type("keys_person")
    type_by_keyboard(page, order, (t("被授权人姓名"), "周键"), (t("证件号码后四位"), person.person.id_number[-4:]))
    tab_to(page, "高企认定", order)
    page.keyboard.press("Space")
    tab_to(page, t("授权"), order, most=20)
    page.keyboard.press("Enter")
    done = t("已授权 %(name)s 代办:%(systems)s") % {"name": "周键", "systems": "高企认定"}
    expect(page.locator(".notice-success")).to_contain_text(done)
    page.get_by_role("button", name=t("撤销授权")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=t("撤销授权"))).to_be_visible()  # the confirmation page
    tab_to(page, t("确认%(action)s") % {"action": t("撤销授权")}, order, most=30)
    page.keyboard.press("Enter")
    expect(page.locator(".notice-success")).to_contain_text(t("授权已撤销"))


def test_choosing_english_in_the_header_and_logging_in(page):
    factories.natural_account("reads_english", name="Li Ming")
    page.goto("/login/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in to the platform")).to_be_visible()
    page.get_by_label("Login name").fill("reads_english")
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_label("Verification code").fill("PASSED")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".user-box")).to_contain_text("Signed in as:")
    page.get_by_role("button", name="中文").click()
    expect(page.locator(".user-box")).to_contain_text("当前用户")
