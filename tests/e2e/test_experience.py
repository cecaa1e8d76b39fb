"""The rough edges a new user met (issue 16), walked in Chromium: each fix is seen on the page as
a person sees it, and a screenshot of each is written to var/screenshots/experience/."""

import pytest
from playwright.sync_api import expect

from idp.catalogue.models import ServiceItem
from tests import factories
from tests.e2e.screens import shot
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_error_pages_and_the_console_without_rights(page):
    page.goto("/no/such/page/")
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    shot(page, "01-404")
    page.get_by_role("link", name="返回首页").click()
    expect(page).to_have_url("/")
    factories.natural_account("zhang_wu", name="张五")
    log_in(page, "自然人登录", "zhang_wu", factories.PASSWORD)
    page.goto("/console/")
    expect(page.get_by_role("heading", name="无权限访问")).to_be_visible()
    expect(page.get_by_text("审核控制台只对审核人员开放")).to_be_visible()
    expect(page.get_by_label("密码", exact=True)).to_have_count(0)
    shot(page, "02-console-403")


def test_anonymous_entrance_offers_both_windows(page):
    factories.demo_systems()
    target = ServiceItem.objects.get(name="高新技术企业认定申报")
    page.goto(f"/services/{target.pk}/enter/")
    expect(page.get_by_text("经单位授权代办的个人")).to_be_visible()
    expect(page.get_by_role("link", name="前往法人登录")).to_be_visible()
    shot(page, "05-entrance")
    page.get_by_role("link", name="代单位办理:前往自然人登录").click()
    expect(page.get_by_role("tab", name="自然人登录")).to_have_attribute("aria-selected", "true")


def test_incomplete_organisation_and_its_profile_layout(page):
    account = factories.legal_account("unit_gap", name="迁移来的企业")
    org = account.organisation
    org.agent_name = ""
    org.save()
    account.realname_reason = "用户信息不全,请先在“修改法人信息”中补充:主代办人姓名"
    account.realname_status = "registry_failed"
    account.save()
    log_in(page, "法人登录", "unit_gap", factories.PASSWORD)
    page.goto("/online/profile/")
    expect(page.get_by_text("(用户信息不全,请及时补充!)")).to_be_visible()
    tabs, box = page.locator(".page-head .tabs").bounding_box(), page.locator(".realname-box").bounding_box()
    main = page.locator(".online-main").bounding_box()
    assert tabs["width"] > main["width"] * 0.9 and box["y"] + box["height"] <= tabs["y"] + 1  # reason above, tabs whole
    shot(page, "04-07-legal-profile")


def test_selects_samples_and_the_reset_form(page):
    page.goto("/register/natural/")
    expect(page.get_by_label("证件类型")).to_contain_text("-请选择-")
    factories.natural_account("forgets", mobile="13955550001")
    page.goto("/password/reset/")
    page.get_by_label("登录名").fill("forgets")
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="检索登录名").click()
    expect(page.get_by_text("账号预留的手机号(部分隐藏)")).to_be_visible()
    expect(page.get_by_label("预留手机号", exact=True)).to_be_visible()
    shot(page, "08-reset-step-2")
    person = factories.natural_account("uploads_it", name="王六")
    log_in(page, "自然人登录", person.login_name, factories.PASSWORD)
    page.goto("/online/verification/")
    page.get_by_role("link", name="样式").first.click()
    expect(page.get_by_text("不是真实证件")).to_be_visible()
    shot(page, "12-sample")
    page.get_by_role("link", name="返回上传材料").click()
    expect(page).to_have_url("/online/verification/")
    # The file control reads the same in every browser: 选择文件 / 未选择文件, then the file's name.
    expect(page.locator(".file-button").first).to_have_text("选择文件")
    expect(page.locator(".file-name").first).to_have_text("未选择文件")
    page.get_by_label("注册人身份证正面", exact=True).set_input_files(
        files=[{"name": "正面.png", "mimeType": "image/png", "buffer": factories.image_bytes("PNG")}])
    expect(page.locator(".file-name").first).to_have_text("正面.png")
    shot(page, "14-file-control")
    # Dates are typed as 2026-12-01.
    page.goto("/online/profile/edit/")
    birth = page.get_by_label("出生日期")
    expect(birth).to_have_attribute("placeholder", "例如 2026-12-01")
    birth.fill("1990-03-07")
    page.get_by_role("button", name="保存").click()
    page.goto("/online/profile/edit/")
    expect(page.get_by_label("出生日期")).to_have_value("1990-03-07")


def test_a_person_rates_a_handled_service_and_reads_the_reply(page):
    from django.utils import timezone

    from idp.catalogue.models import SystemVisit
    from idp.ratings import services
    from idp.ratings.models import Rating

    factories.demo_systems()
    person = factories.natural_account("rates_it", name="评价人")
    item = ServiceItem.objects.get(name="国家重点研发计划项目申报")
    visit = SystemVisit.objects.create(account=person, system=item.system, item=item, last_entered_at=timezone.now())
    log_in(page, "自然人登录", "rates_it", factories.PASSWORD)
    page.goto("/online/matters/")
    page.get_by_role("link", name="评价", exact=True).click()
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("评价内容(选填)").fill("等待时间太长")
    shot(page, "rating-form")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价")).to_be_visible()
    expect(page.locator("table")).to_contain_text("待回复")
    operator = factories.natural_account("ops_rating")  # the operator answers in the console
    services.close_follow_up(rating_id=Rating.objects.get(visit=visit).pk, operator=operator, reply="已安排专人处理")
    page.reload()
    expect(page.locator("table")).to_contain_text("已安排专人处理")
    shot(page, "rating-replied")


def test_from_the_home_page_a_newcomer_finds_every_first_step(page):
    from idp.portal.models import HotService, Notice

    factories.demo_systems()
    Notice.objects.create(title="关于统一身份认证平台上线的通知", body="平台已上线。\n欢迎使用。")
    HotService.objects.create(item=ServiceItem.objects.get(name="高新技术企业认定申报"))
    page.goto("/")
    for name in ["自然人登录", "法人登录", "用户注册", "火炬中心用户账号检索"]:
        expect(page.get_by_role("link", name=name, exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name="高新技术企业认定申报")).to_be_visible()
    expect(page.get_by_role("link", name="我的评价")).to_be_visible()
    shot(page, "00-home")
    page.get_by_role("link", name="关于统一身份认证平台上线的通知").click()
    expect(page.get_by_role("heading", name="关于统一身份认证平台上线的通知")).to_be_visible()
    page.get_by_role("link", name="返回通知通告").click()
    expect(page.get_by_role("heading", name="通知通告")).to_be_visible()
    # ask a question: 办事咨询 → log in → 我的咨询
    factories.natural_account("curious", name="好奇")
    page.get_by_role("link", name="办事咨询", exact=True).first.click()
    page.get_by_role("link", name="我要咨询").click()
    log_in(page, "自然人登录", "curious", factories.PASSWORD)
    page.goto("/online/questions/")
    page.get_by_label("服务事项").select_option(label="高新技术企业认定申报")
    page.get_by_label("咨询内容").fill("申报截止时间是哪天?")
    page.get_by_role("button", name="提交咨询").click()
    expect(page.get_by_text("等待工作人员答复")).to_be_visible()
    shot(page, "question-asked")


def test_account_lookup_answers_in_plain_words_with_a_button_for_each_next_step(page, tmp_path):
    from tests.legacy.helpers import E, P, files, run_import

    factories.demo_systems()
    enterprises, persons = files(tmp_path)
    run_import(tmp_path, enterprises=enterprises, persons=persons)
    page.goto("/")
    page.get_by_role("link", name="火炬中心用户账号检索", exact=True).first.click()
    page.get_by_label("统一社会信用代码").fill(E["R1"])
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="检索").click()
    answer = page.locator(".lookup-answer")
    expect(answer.get_by_role("heading", name="您的账号已转移到政务服务平台")).to_be_visible()
    expect(answer).not_to_contain_text("R1")
    expect(answer).not_to_contain_text("查询结果")
    shot(page, "06-lookup-enterprise")
    answer.get_by_role("link", name="法人登录").click()
    expect(page.get_by_role("tab", name="法人登录")).to_have_attribute("aria-selected", "true")
    page.goto("/legacy/lookup/")
    page.get_by_label("个人账号").check()
    page.get_by_label("手机号码").fill(P["U"])
    page.get_by_label("验证码").fill("PASSED")
    page.get_by_role("button", name="检索").click()
    expect(page.get_by_role("heading", name="该手机号还没有账号,请注册")).to_be_visible()
    shot(page, "06-lookup-person")
    page.locator(".lookup-answer").get_by_role("link", name="自然人注册").click()
    expect(page).to_have_url("/register/natural/")


def test_documents_verified_on_another_account_are_explained_before_any_upload(page):
    from idp.realname import services as realname

    row = factories.reference_person(3)
    owner = factories.natural_account("first_owner", id_number=row["id_number"], name=row["name"])
    assert realname.check_automatically(account=owner, actor=owner) == "registry_passed"
    factories.natural_account("second_try", id_number=row["id_number"], name=row["name"])
    log_in(page, "自然人登录", "second_try", factories.PASSWORD)
    page.goto("/online/verification/")
    expect(page.get_by_role("alert")).to_contain_text("该证件已在账号 fi***er 上完成实名认证")
    expect(page.get_by_role("alert")).to_contain_text("请登录该账号或通过申诉找回")
    expect(page.locator("input[type=file]")).to_have_count(0)  # nothing to upload that could never be approved
    expect(page.get_by_role("button", name="提交")).to_have_count(0)
    shot(page, "03-upload-refused")


def test_favicon_admin_title_and_the_search_box(page):
    assert page.request.get("/favicon.ico").headers["content-type"].startswith("image/")
    page.goto("/services/")
    for box in (page.get_by_placeholder("搜索事项名称"), page.get_by_placeholder("站内搜索")):
        assert box.evaluate("el => parseFloat(getComputedStyle(el).paddingLeft)") >= 4
    page.goto("/admin/")  # through the platform's login
    expect(page.get_by_role("tab", name="自然人登录")).to_be_visible()
    expect(page).not_to_have_title("Django")


def test_an_operator_publishes_answers_and_reads_the_ratings(page):
    from django.utils import timezone

    from idp.catalogue.models import SystemVisit
    from idp.portal import consulting
    from idp.ratings import services as ratings
    from tests.e2e.test_journeys import enrol_authenticator

    factories.demo_systems()
    item = ServiceItem.objects.get(name="高新技术企业认定申报")
    citizen = factories.natural_account("asks_and_rates")
    consulting.ask(account=citizen, item_id=item.pk, body="高企认定需要哪些知识产权材料?")
    visit = SystemVisit.objects.create(account=citizen, system=item.system, item=item, last_entered_at=timezone.now())
    ratings.rate(account=citizen, visit_id=visit.pk, score=1, comment="页面打不开")
    operator = factories.staff("operator_li")
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])

    log_in(page, "自然人登录", "operator_li", factories.PASSWORD)
    enrol_authenticator(page)
    page.goto("/admin/")
    expect(page).to_have_title("系统管理 | 政务服务平台统一身份认证")
    expect(page.locator("#site-name")).to_have_text("政务服务平台统一身份认证 · 系统管理")
    shot(page, "13-admin")
    # 通知通告 and 结果公示 are published from 系统管理, with no code change.
    page.goto("/admin/portal/notice/add/")
    page.get_by_label("标题").fill("关于开展2027年度高企认定工作的通知")
    page.get_by_label("正文").fill("请于3月底前提交。")
    page.get_by_role("button", name="保存", exact=True).click()
    page.goto("/admin/portal/publication/add/")
    page.get_by_label("标题").fill("2026年第十批人类遗传资源采集审批结果公示")
    page.get_by_label("正文").fill("名单见附件。")
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": "名单.pdf", "mimeType": "application/pdf", "buffer": factories.PDF_BYTES}])
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messagelist")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("link", name="关于开展2027年度高企认定工作的通知")).to_be_visible()
    page.get_by_role("link", name="结果公示", exact=True).first.click()
    page.get_by_role("link", name="2026年第十批人类遗传资源采集审批结果公示").click()
    shot(page, "portal-result")
    pdf = page.request.get(page.get_by_role("link", name="名单.pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.body() == factories.PDF_BYTES
    # 办事咨询: answered and published, then public and found by 站内搜索.
    page.goto("/console/questions/")
    page.get_by_label("答复").fill("专利、软件著作权等,详见申报指南。")
    page.get_by_label("公开到“办事咨询”").check()
    page.get_by_role("button", name="答复").click()
    expect(page.get_by_text("没有待答复的咨询")).to_be_visible()
    page.get_by_placeholder("站内搜索").fill("知识产权")
    page.get_by_placeholder("站内搜索").press("Enter")
    expect(page.get_by_role("heading", name="办事咨询")).to_be_visible()
    expect(page.get_by_text("共找到 1 条结果")).to_be_visible()
    shot(page, "portal-search")
    # 好差评: the statistics per item, and the 差评 closed with a reply the user sees.
    page.goto("/console/ratings/")
    expect(page.locator("table")).to_contain_text("高新技术企业认定申报")
    shot(page, "console-ratings")
    page.get_by_label("回复用户").fill("已修复,请再试一次。")
    page.get_by_role("button", name="回复并关闭").click()
    expect(page.get_by_text("没有待回复的差评")).to_be_visible()
