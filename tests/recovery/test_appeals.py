"""5.2 / 5.3 appeals, their review, and the single-use link."""

from datetime import timedelta

import pytest
from captcha.models import CaptchaStore
from django.test import Client
from django.utils import timezone

from idp.accounts.models import OrganisationChange
from idp.audit.models import AuditEntry, Event
from idp.recovery import services
from idp.recovery.models import Appeal, AppealFile, AppealStatus, ResetLink
from tests import factories
from tests.factories import PASSWORD, image_bytes, last_code, outbox_messages, upload

pytestmark = pytest.mark.django_db


def person_appeal_data(client, id_number, phone="13988887777", **overrides):
    client.post("/api/sms/send", {"phone": phone, "purpose": "appeal"})
    data = {"name": "申诉人", "identity_type": "mainland", "id_type": "resident_id", "id_number": id_number,
            "phone": phone, "sms_code": last_code(phone, "appeal"),
            "front": upload("front.jpg", image_bytes("JPEG"), "image/jpeg"), "back": upload("back.png")}
    data.update(overrides)
    return data


def org_search(client, name, uscc=""):
    client.get("/password/appeal/org/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    return client.post("/password/appeal/org/", {"org_name": name, "uscc": uscc, "captcha_0": key,
                                                 "captcha_1": "PASSED"})


def org_appeal_data(org, **overrides):
    data = {"org_name": org.name, "legal_type": "enterprise", "uscc": org.uscc, "name": "新代办人",
            "identity_type": "mainland", "id_type": "resident_id", "id_number": factories.resident_id(seq="808"),
            "phone": "13711112222", "email": "agent@example.cn",
            "front": upload("f.png"), "back": upload("b.png")}
    data.update(overrides)
    return data


@pytest.fixture
def reviewer():
    staff = factories.natural_account("appeal_reviewer")
    staff.is_staff = True
    staff.save()
    client = Client()
    factories.sign_in(client, staff)
    client.account = staff
    return client


def test_person_appeal_is_filed_and_waits(client):
    number = factories.resident_id(seq="612")
    factories.natural_account("lost_phone", id_number=number)
    response = client.post("/password/appeal/person/", person_appeal_data(client, number))
    assert response.url == "/password/appeal/waiting/"
    appeal = Appeal.objects.get()
    page = client.get("/password/appeal/waiting/").content.decode()
    assert "等待审核" in page and appeal.reference in page
    assert appeal.id_number == number and appeal.files.count() == 2
    assert AuditEntry.objects.filter(event=Event.APPEAL_FILED).exists()


def test_unknown_identity_number_gets_the_same_answer(client):
    """Nothing matches, yet the answer is the same status and message (the reviewer sees it)."""
    response = client.post("/password/appeal/person/", person_appeal_data(client, factories.resident_id(seq="613")))
    assert response.status_code == 302 and response.url == "/password/appeal/waiting/"
    assert "等待审核" in client.get("/password/appeal/waiting/").content.decode()


@pytest.mark.parametrize(("field", "data", "message"), [
    ("front", upload("front.jpg", b"<html>not an image</html>", "image/jpeg"), "文件类型不符"),
    ("back", upload("back.pdf", factories.PDF_BYTES, "application/pdf"), "文件类型不符"),
])
def test_wrong_file_types_are_refused(client, field, data, message):
    response = client.post("/password/appeal/person/",
                           person_appeal_data(client, factories.resident_id(seq="614"), **{field: data}))
    assert message in response.context["form"].errors[field][0]
    assert not Appeal.objects.exists() and not AppealFile.objects.exists()


def test_oversized_image_is_refused(client, settings):
    settings.IDP_UPLOAD_MAX_BYTES = 500
    response = client.post("/password/appeal/person/", person_appeal_data(
        client, factories.resident_id(seq="615"), front=upload("big.png", image_bytes(size=(300, 300)))))
    assert "文件大小不能超过" in response.context["form"].errors["front"][0]
    assert not Appeal.objects.exists()


def test_appeal_needs_a_valid_sms_code(client):
    data = person_appeal_data(client, factories.resident_id(seq="616"), sms_code="000000")
    response = client.post("/password/appeal/person/", data)
    assert response.context["form"].errors["sms_code"]
    assert not Appeal.objects.exists()


def test_org_search(client):
    org = factories.legal_account("unit_admin", name="某某研究院", mobile="13700001234").organisation
    assert "未找到该单位" in org_search(client, "不存在的单位").context["form"].errors["org_name"][0]
    assert org_search(client, "某某研究院").url == "/password/appeal/org/form/"
    page = client.get("/password/appeal/org/form/").content.decode()
    assert "un***in" not in page  # no USCC given: no hint about the login name
    org_search(client, "某某研究院", uscc=org.uscc)
    page = client.get("/password/appeal/org/form/").content.decode()
    assert "un***in" in page and "13*****234" in page and "unit_admin" not in page
    assert f'value="{org.uscc}"' in page  # the USCC typed at 检索单位 is carried into the form


def test_org_appeal_with_a_wrong_uscc_gets_the_same_answer(client):
    org = factories.legal_account(name="甲研究院").organisation
    org_search(client, "甲研究院")
    response = client.post("/password/appeal/org/form/", org_appeal_data(org, uscc=factories.uscc()))
    assert response.url == "/password/appeal/waiting/"


def test_org_appeal_form_needs_the_search_first(client):
    assert client.get("/password/appeal/org/form/").url == "/password/appeal/org/"


def test_appeal_status(client):
    client.post("/password/appeal/person/", person_appeal_data(client, factories.resident_id(seq="617")))
    appeal = Appeal.objects.get()
    client.get("/password/appeal/status/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    page = client.post("/password/appeal/status/", {"reference": appeal.reference.lower(), "phone": appeal.phone,
                                                    "captcha_0": key, "captcha_1": "PASSED"})
    assert page.context["appeal"] == appeal and "等待审核" in page.content.decode()
    client.get("/password/appeal/status/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    wrong = client.post("/password/appeal/status/", {"reference": appeal.reference, "phone": "13900000000",
                                                     "captcha_0": key, "captcha_1": "PASSED"})
    assert wrong.context["appeal"] is None and "未找到该申诉" in wrong.content.decode()


def test_reviewer_approves_a_person_appeal_and_the_link_works_once(client, reviewer,
                                                                  django_capture_on_commit_callbacks):
    number = factories.resident_id(seq="618")
    account = factories.natural_account("appellant", id_number=number, mobile="13900001111")
    elsewhere = Client()
    elsewhere.force_login(account)
    client.post("/password/appeal/person/", person_appeal_data(client, number, phone="13988880000"))
    appeal = Appeal.objects.get()
    page = reviewer.get(f"/console/appeal/{appeal.pk}/").content.decode()
    assert "appellant" in page and number in page
    for item in appeal.files.all():
        assert reviewer.get(f"/console/appeal-files/{item.pk}/").status_code == 200
        assert client.get(f"/console/appeal-files/{item.pk}/").status_code == 302  # not for the public
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "approve", "account": account.pk})
    appeal.refresh_from_db()
    account.refresh_from_db()
    assert appeal.status == AppealStatus.APPROVED and account.phone == "13988880000"
    sms = outbox_messages()[-1]
    assert sms["phone"] == "13988880000" and "appellant" in sms["text"]
    link = sms["text"].split("http://127.0.0.1:8000")[1]
    assert "设置新密码" in client.get(link).content.decode()
    response = client.post(link, {"password": "Appealed123!", "password_confirm": "Appealed123!"})
    assert response.url == "/login/?tab=natural"
    account.refresh_from_db()
    assert account.check_password("Appealed123!") and not account.check_password(PASSWORD)
    assert elsewhere.get("/online/profile/").status_code == 302
    assert client.get(link).status_code == 410
    assert client.post(link, {"password": "Again12345!", "password_confirm": "Again12345!"}).status_code == 410
    account.refresh_from_db()
    assert account.check_password("Appealed123!")


def test_expired_and_made_up_links_are_refused(client):
    account = factories.natural_account()
    ResetLink.objects.create(account=account, token_digest="0" * 64,
                             expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/password/set/anything/").status_code == 410
    assert "链接已失效" in client.get("/password/set/anything/").content.decode()


def test_link_validity_is_configurable(client, reviewer, settings, django_capture_on_commit_callbacks):
    settings.IDP_RESET_LINK_HOURS = 2
    number = factories.resident_id(seq="619")
    account = factories.natural_account(id_number=number)
    client.post("/password/appeal/person/", person_appeal_data(client, number))
    appeal = Appeal.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "approve", "account": account.pk})
    link = ResetLink.objects.get()
    assert timedelta(hours=1, minutes=59) < link.expires_at - timezone.now() <= timedelta(hours=2)
    assert "2 小时内" in outbox_messages()[-1]["text"]


def test_approving_an_org_appeal_replaces_the_main_agent(client, reviewer, django_capture_on_commit_callbacks):
    account = factories.legal_account("org_appellant", name="乙研究院", mobile="13700009999")
    org = account.organisation
    org_search(client, "乙研究院")
    client.post("/password/appeal/org/form/", org_appeal_data(org))
    appeal = Appeal.objects.get(kind="legal")
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "approve", "account": account.pk})
    org.refresh_from_db()
    account.refresh_from_db()
    assert org.agent_name == "新代办人" and org.agent_id_number == appeal.id_number
    assert account.phone == "13711112222" and account.email == "agent@example.cn"
    change = OrganisationChange.objects.get(organisation=org)
    assert change.actor == reviewer.account
    assert {c["field"] for c in change.changes} >= {"agent_name", "agent_id_number", "phone"}
    assert "******" + appeal.id_number[-4:] in str(change.changes) and appeal.id_number not in str(change.changes)
    assert outbox_messages()[-1]["phone"] == "13711112222"
    assert "org_appellant" in outbox_messages()[-1]["text"]


def test_appeal_without_a_matching_account_can_only_be_rejected(client, reviewer,
                                                               django_capture_on_commit_callbacks):
    client.post("/password/appeal/person/", person_appeal_data(client, factories.resident_id(seq="620")))
    appeal = Appeal.objects.get()
    page = reviewer.get(f"/console/appeal/{appeal.pk}/").content.decode()
    assert "没有与申诉信息匹配的账号" in page
    other = factories.natural_account()
    response = reviewer.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "approve", "account": other.pk},
                             follow=True)
    assert "只能驳回" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "reject", "reason": "证件照片模糊"})
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.REJECTED
    assert "证件照片模糊" in outbox_messages()[-1]["text"]
    again = reviewer.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "reject", "reason": "x"}, follow=True)
    assert "无需重复审核" in again.content.decode()


def test_console_lists_appeal_queues(client, reviewer):
    client.post("/password/appeal/person/", person_appeal_data(client, factories.resident_id(seq="621")))
    page = reviewer.get("/console/").content.decode()
    assert '<span class="count">1</span><span>自然人申诉待审核' in page
    assert Appeal.objects.get().reference in reviewer.get("/console/appeals/natural/").content.decode()


def test_candidates_prefer_the_verified_holder():
    number = factories.resident_id(seq="622")
    first = factories.natural_account("first_reg", id_number=number)
    second = factories.verified(factories.natural_account("verified_one", id_number=number))
    from idp.accounts.models import NaturalPerson

    NaturalPerson.objects.filter(account=second).update(verified_id_index=second.person.id_index)
    appeal = Appeal(kind="natural", id_type="resident_id", id_number=number)  # its index in either suite
    assert services.candidates(appeal) == [second, first]


def test_a_phone_photo_over_the_limit_is_named_and_everything_typed_is_kept(client):
    """Issue 25: a normal 4.3 MB phone photo was a server error (runserver) or a bare 请求内容过大
    (granian), and everything typed was lost. Now the body is read (file parts past the limit
    are dropped, never stored), the photo is named, and both files' problems show at once."""
    from tests.wsgi import ProductionClient

    browser = ProductionClient()
    number = factories.resident_id(seq="431")
    photo = upload("IMG_2041.jpg", image_bytes("JPEG") + b"\0" * int(4.3 * 1024 * 1024), "image/jpeg")
    broken = upload("back.png", b"not an image at all", "image/png")
    data = person_appeal_data(browser, number, front=photo, back=broken)
    response = browser.post("/password/appeal/person/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "文件大小不能超过 1 MB" in page and "文件类型不符或文件已损坏" in page  # both, at once
    assert 'value="申诉人"' in page and f'value="{number}"' in page  # what was typed is kept
    assert not Appeal.objects.exists()
