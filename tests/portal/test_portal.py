"""首页 (issue 16, the portal): 通知通告 newest first with dates and 更多, a paged list and detail
pages, 热点服务 chosen by operators, a way to every first step, and the footer from settings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from idp.catalogue.models import ServiceItem
from idp.portal.models import HotService, Notice
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_the_latest_notices_and_the_hot_services(client):
    now = timezone.now()
    for n in range(7):
        Notice.objects.create(title=f"通知 {n}", body="正文", published_at=now - timedelta(days=n))
    Notice.objects.create(title="未发布的通知", body="x", is_published=False)
    Notice.objects.create(title="明天的通知", body="x", published_at=now + timedelta(days=1))
    factories.demo_systems()
    HotService.objects.create(item=ServiceItem.objects.get(name="高新技术企业认定申报"), sort_order=1)
    page = client.get("/").content.decode()
    assert page.index("通知 0") < page.index("通知 1") and "通知 5" not in page  # five, newest first
    assert "未发布的通知" not in page and "明天的通知" not in page
    assert 'href="/notices/">更多</a>' in page and now.strftime("%Y-%m-%d") in page
    assert "高新技术企业认定申报" in page
    for link in ['href="/register/"', 'href="/login/?tab=natural"', 'href="/login/?tab=legal"',
                 'href="/legacy/lookup/"', 'href="/password/forgot/"', 'href="/online/ratings/"']:
        assert link in page, link


def test_notices_are_paged_and_each_has_its_page(client):
    now = timezone.now()
    for n in range(12):
        Notice.objects.create(title=f"第{n}号通知", body=f"第{n}号正文\n第二段", published_at=now - timedelta(hours=n))
    first = client.get("/notices/").content.decode()
    assert "第0号通知" in first and "第10号通知" not in first and "第 1 / 2 页" in first
    assert "第10号通知" in client.get("/notices/", {"page": 2}).content.decode()
    notice = Notice.objects.get(title="第3号通知")
    detail = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "<p>第3号正文<br>第二段</p>" in detail and "返回通知通告" in detail
    hidden = Notice.objects.create(title="草稿", body="x", is_published=False)
    assert client.get(f"/notices/{hidden.pk}/").status_code == 404


def test_the_footer_names_the_owner_the_support_phone_and_the_record_number(client, settings):
    settings.IDP_SITE_OWNER, settings.IDP_ICP_NUMBER = "某某省人民政府办公厅", "京ICP备12345678号"
    page = client.get("/").content.decode()
    assert "主办单位:某某省人民政府办公厅" in page and "技术支持电话" in page and "京ICP备12345678号" in page
    settings.IDP_ICP_NUMBER = ""
    assert "ICP" not in client.get("/").content.decode()


def test_a_question_is_asked_answered_published_and_read(client):
    from django.test import Client

    factories.demo_systems()
    item = ServiceItem.objects.get(name="高新技术企业认定申报")
    assert client.get("/online/questions/").status_code == 302  # signed-in users ask
    person = factories.natural_account("asker")
    client.force_login(person)
    refused = client.post("/online/questions/", {"item": str(item.pk), "body": "  "}).content.decode()
    assert "请填写咨询内容" in refused and f'<option value="{item.pk}" selected>' in refused  # what was typed kept
    assert "请选择服务事项" in client.post("/online/questions/", {"item": "abc", "body": "x"}).content.decode()
    client.post("/online/questions/", {"item": str(item.pk), "body": "申报材料需要盖章吗?"})
    assert "等待工作人员答复" in client.get("/online/questions/").content.decode()

    operator = Client()
    staff = factories.staff("consultant")
    factories.sign_in(operator, staff)
    queue = operator.get("/console/questions/").content.decode()
    assert "待答复(1)" in queue and "申报材料需要盖章吗?" in queue
    from idp.portal.models import Question

    question = Question.objects.get()
    assert "没有这条咨询" in operator.post("/console/questions/", {"question": "x", "answer": "a"},
                                     follow=True).content.decode()
    assert "请填写答复内容" in operator.post("/console/questions/", {"question": question.pk, "answer": ""},
                                       follow=True).content.decode()
    assert "申报材料需要盖章吗?" not in client.get("/consult/").content.decode()  # not yet public
    operator.post("/console/questions/", {"question": question.pk, "answer": "需要加盖单位公章。", "publish": "1"})
    assert "需要加盖单位公章。" in client.get("/online/questions/").content.decode()
    public = Client().get("/consult/").content.decode()
    assert "申报材料需要盖章吗?" in public and "需要加盖单位公章。" in public and "高新技术企业认定申报" in public
    assert 'href="/consult/">办事咨询</a>' in Client().get("/").content.decode()


def test_results_are_published_with_their_pdfs(client):
    from django.test import Client

    from idp.portal.models import Attachment, Publication

    done = Publication.objects.create(title="人类遗传资源采集审批结果公示(第一批)", body="以下项目予以批准。")
    Attachment.objects.create(publication=done, name="第一批名单.pdf", content=factories.PDF_BYTES,
                              size=len(factories.PDF_BYTES))
    draft = Publication.objects.create(title="草稿公示", is_published=False)
    hidden = Attachment.objects.create(publication=draft, name="x.pdf", content=factories.PDF_BYTES)
    listing = client.get("/results/").content.decode()
    assert "人类遗传资源采集审批结果公示(第一批)" in listing and "草稿公示" not in listing
    detail = client.get(f"/results/{done.pk}/").content.decode()
    assert "以下项目予以批准。" in detail and "第一批名单.pdf" in detail
    pdf = client.get(f"/results/attachments/{done.attachments.get().pk}/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == factories.PDF_BYTES
    assert "sandbox" in pdf["Content-Security-Policy"]
    assert client.get(f"/results/attachments/{hidden.pk}/").status_code == 404
    assert client.get(f"/results/{draft.pk}/").status_code == 404
    assert 'href="/results/">结果公示</a>' in Client().get("/").content.decode()


def test_operators_attach_only_real_pdfs():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from idp.portal.admin import AttachmentForm

    fake = AttachmentForm(data={"name": ""}, files={"upload": SimpleUploadedFile("名单.pdf", b"<html>not a pdf")})
    assert not fake.is_valid() and "完整的 PDF" in str(fake.errors)
    real = AttachmentForm(data={"name": ""}, files={"upload": SimpleUploadedFile("名单.pdf", factories.PDF_BYTES)})
    assert real.is_valid() and real.cleaned_data["name"] == "名单.pdf"


def test_site_search_finds_items_notices_answers_and_results_by_a_chinese_word(client):
    from idp.portal.models import Publication, Question

    factories.demo_systems()
    Notice.objects.create(title="高企认定申报工作通知", body="请按时申报。")
    Publication.objects.create(title="高企认定结果公示", body="名单见附件")
    Question.objects.create(account=factories.natural_account(), body="高企认定要交哪些材料?", answer="见指南",
                            is_public=True, answered_at=timezone.now())
    Question.objects.create(account=factories.natural_account(), body="高企认定私下问的", answer="未公开")
    page = client.get("/search/", {"q": "高企认定"}).content.decode()
    for text in ["高企认定申报工作通知", "高企认定结果公示", "高企认定要交哪些材料?"]:
        assert text in page, text
    assert "私下问的" not in page and "共找到" in page
    assert "高新技术企业认定申报" in client.get("/search/", {"q": "高新技术"}).content.decode()
    assert 'action="/search/"' in client.get("/").content.decode()


@pytest.mark.postgres
def test_on_postgresql_every_search_is_answered_from_a_trigram_index():
    from django.db import connection

    from idp.portal import search
    from idp.portal.models import Publication, Question

    factories.demo_systems()
    Publication.objects.create(title="人类遗传资源采集审批结果公示", body="第一批")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the tables are tiny: make the planner show its choice
    plans = {model: search.containing("遗传资源", *fields) for model, fields in [
        (ServiceItem, ["name", "description"]), (Notice, ["title", "body"]),
        (Question, ["body", "answer"]), (Publication, ["title", "body"])]}
    for model, condition in plans.items():
        plan = model.objects.filter(condition).explain()
        assert "_trgm" in plan and "Seq Scan" not in plan, plan
    assert search.site_search("遗传资源采集")["结果公示"][0][0] == "人类遗传资源采集审批结果公示"
    assert search.site_search("ABC")["结果公示"] == []


def test_searches_and_questions_are_throttled(client, settings):
    """Issue 25: 办事咨询 questions and both searches had no limit."""
    settings.IDP_SEARCHES_PER_MINUTE = 3
    settings.IDP_QUESTIONS_PER_HOUR = 2
    for _ in range(3):
        assert client.get("/search/", {"q": "高企"}).status_code == 200
    refused = client.get("/search/", {"q": "高企"})
    assert refused.status_code == 429 and "搜索过于频繁" in refused.content.decode()
    assert client.get("/services/", {"q": "认定"}).status_code == 429  # the catalogue's search counts too
    client.force_login(factories.natural_account())
    for n in range(2):
        assert client.post("/online/questions/", {"body": f"问题 {n}"}).status_code == 302
    third = client.post("/online/questions/", {"body": "问题 3"})
    assert third.status_code == 200 and "提问过于频繁" in third.content.decode() and "问题 3" in third.content.decode()


def test_captcha_images_and_sounds_are_throttled_per_address(client, settings):
    from captcha.models import CaptchaStore

    settings.IDP_CAPTCHAS_PER_MINUTE = 2
    key = CaptchaStore.generate_key()
    assert [client.get(f"/captcha/image/{key}/").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/captcha/refresh/", HTTP_X_REQUESTED_WITH="XMLHttpRequest").status_code == 429
    assert client.get("/api/migration/captcha").status_code == 429


def test_a_fresh_install_shows_an_example_portal(client, tmp_path, monkeypatch):
    """Issue 25: a fresh `make run` showed an empty portal; load_demo now seeds example notices,
    hot services, answers and a result — once."""
    from django.core.management import call_command

    from config import env

    monkeypatch.setattr(env, "VAR_DIR", tmp_path)  # demo-clients.json goes there
    call_command("load_demo", stdout=open("/dev/null", "w"))
    call_command("load_demo", stdout=open("/dev/null", "w"))
    home = client.get("/").content.decode()
    assert "关于开展2026年度高新技术企业认定工作的通知" in home and "高新技术企业认定申报" in home
    assert Notice.objects.count() == 3 and HotService.objects.count() == 4
    assert "忘记了登录名怎么办" in client.get("/consult/").content.decode()


def test_the_demo_systems_follow_the_port_they_are_served_on(tmp_path, monkeypatch):
    """Issue 25: PORT= did not move the demo systems (make run passes their addresses on)."""
    from config import env
    from idp.catalogue.models import BusinessSystem
    from idp.demo import catalogue, clients

    monkeypatch.setattr(env, "VAR_DIR", tmp_path)
    catalogue.load()
    clients.register_demo_clients("http://127.0.0.1:9101", "http://127.0.0.1:9102")
    assert BusinessSystem.objects.get(code=catalogue.HIGH_TECH).entrance_url == "http://127.0.0.1:9101"
    assert BusinessSystem.objects.get(code=catalogue.TECH_SME).entrance_url == "http://127.0.0.1:9102"
