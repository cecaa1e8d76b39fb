"""The review console: staff only, queues oldest first, decisions, audit search."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from idp.accounts.models import RealNameStatus
from idp.audit.models import AuditEntry, Event
from idp.realname import services
from idp.realname.models import Submission, SubmissionStatus
from tests import factories
from tests.factories import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(client):
    staff = factories.natural_account("reviewer_1")
    staff.is_staff = True
    staff.save()
    factories.sign_in(client, staff)
    client.account = staff
    return client


def submit(account):
    if account.is_natural:
        files = {"id_front": upload("f.png"), "id_back": upload("b.png")}
    else:
        files = {"org_certificate": upload("c.png"), "lr_document": upload("l.png")}
    return services.submit_documents(account=account, files=files, actor=account)


def test_console_is_for_staff_only(client):
    assert client.get("/console/").status_code == 302
    client.force_login(factories.natural_account())
    response = client.get("/console/")
    assert response.status_code == 403 and "无权限访问" in response.content.decode()  # not the login form
    assert client.get("/console/audit/").status_code == 403


def test_dashboard_counts_the_queues(reviewer):
    for _ in range(2):
        submit(factories.natural_account())
    submit(factories.legal_account())
    page = reviewer.get("/console/").content.decode()
    assert '<span class="count">2</span><span>自然人人工认证待审核' in page
    assert '<span class="count">1</span><span>法人人工认证待审核' in page


def test_queue_is_oldest_first(reviewer):
    older, newer = submit(factories.natural_account("older_one")), submit(factories.natural_account("newer_one"))
    Submission.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    page = reviewer.get("/console/reviews/natural/").content.decode()
    assert page.index("older_one") < page.index("newer_one")
    assert "待审核 2 件" in page
    assert newer.pk


def test_review_page_shows_data_and_images(reviewer):
    account = factories.natural_account("applicant", name="李四")
    submission = submit(account)
    page = reviewer.get(f"/console/review/{submission.pk}/").content.decode()
    assert "李四" in page and account.person.id_number in page  # reviewers see the full number
    for item in submission.files.all():
        assert f'<img src="/realname/evidence/{item.pk}/"' in page
    assert "审核通过" in page and "不通过原因" in page


def test_approve_from_the_console(reviewer, django_capture_on_commit_callbacks):
    account = factories.natural_account("applicant", mobile="13933334444")
    submission = submit(account)
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"})
    assert response.url == "/console/reviews/natural/"
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.REVIEW_APPROVED
    message = factories.outbox_messages()[-1]
    assert message["phone"] == "13933334444" and "审核通过" in message["text"]
    owner = Client()
    owner.force_login(account)
    assert "已审核认证" in owner.get("/online/profile/").content.decode()


def test_reject_from_the_console_needs_a_reason_and_shows_it_to_the_user(reviewer):
    account = factories.legal_account("org_applicant")
    submission = submit(account)
    response = reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "reject", "reason": ""},
                             follow=True)
    assert "请填写不通过的原因" in response.content.decode()
    reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "reject", "reason": "营业执照未盖章"})
    owner = Client()
    owner.force_login(account)
    page = owner.get("/online/profile/").content.decode()
    assert "审核未通过" in page and "营业执照未盖章" in page
    assert "营业执照未盖章" in owner.get("/online/verification/").content.decode()


def test_deciding_an_already_decided_item(reviewer):
    submission = submit(factories.natural_account())
    reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"})
    response = reviewer.post(f"/console/review/{submission.pk}/decide/",
                             {"decision": "reject", "reason": "x"}, follow=True)
    assert "无需重复审核" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.APPROVED


def test_unknown_items_and_decisions(reviewer):
    assert reviewer.get("/console/review/999999/").status_code == 404
    assert reviewer.post("/console/review/999999/decide/", {"decision": "approve"}).status_code == 302
    submission = submit(factories.natural_account())
    response = reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "maybe"}, follow=True)
    assert "请选择通过或不通过" in response.content.decode()
    assert reviewer.get("/console/reviews/robots/").status_code == 302


def test_audit_search(reviewer):
    factories.natural_account("target_user")
    client = Client()
    client.get("/login/")
    for name in ("target_user", "someone_else"):
        from captcha.models import CaptchaStore

        client.get("/login/")
        key = CaptchaStore.objects.order_by("-id").first().hashkey
        client.post("/login/", {"kind": "natural", "login_name": name, "password": "Wrong000!",
                                "captcha_0": key, "captcha_1": "PASSED"})
    page = reviewer.get("/console/audit/", {"account": "TARGET_USER"}).content.decode()
    assert "target_user" in page and "someone_else" not in page and "登录失败" in page
    page = reviewer.get("/console/audit/", {"event": Event.LOGIN_FAILED}).content.decode()
    assert "共 2 条" in page
    today = timezone.localdate().isoformat()
    assert "共 0 条" in reviewer.get("/console/audit/", {"until": "2000-01-01"}).content.decode()
    assert "共 2 条" in reviewer.get("/console/audit/", {"since": today,
                                                          "event": Event.LOGIN_FAILED}).content.decode()
    bad = reviewer.get("/console/audit/", {"since": "yesterday", "event": "nope"}).content.decode()
    assert "日期格式" in bad and "未知的事件类型" in bad


def test_security_events_are_audited(client):
    """Login, failure, lockout, logout and password change land in the audit log."""
    from captcha.models import CaptchaStore

    account = factories.natural_account("audited")

    def attempt(password):
        client.get("/login/")
        key = CaptchaStore.objects.order_by("-id").first().hashkey
        return client.post("/login/", {"kind": "natural", "login_name": "audited", "password": password,
                                       "captcha_0": key, "captcha_1": "PASSED"})

    attempt(factories.PASSWORD)
    client.post("/online/password/", {"old_password": factories.PASSWORD, "password": "Newpass123!",
                                      "password_confirm": "Newpass123!"})
    client.post("/logout/")
    from django.conf import settings
    settings.IDP_LOGIN_SLOWDOWN_SECONDS = 0
    for _ in range(5):
        attempt("Wrong000!")
    events = list(AuditEntry.objects.filter(login_name="audited").values_list("event", flat=True))
    for event in (Event.LOGIN, Event.PASSWORD_CHANGED, Event.LOGOUT, Event.LOGIN_FAILED, Event.LOGIN_LOCKED):
        assert event in events, event
    entry = AuditEntry.objects.filter(event=Event.LOGIN).first()
    assert entry.account == account and entry.ip == "127.0.0.1"
    assert "Wrong000!" not in str(list(AuditEntry.objects.values("detail")))


def test_the_reviewer_sees_the_registry_answer_a_taken_document_and_earlier_decisions(reviewer):
    from idp.accounts.models import NaturalPerson

    number = factories.resident_id(seq="451")
    person = factories.natural_account(name="赵六", id_number=number)
    services.check_automatically(account=person, actor=person)  # not in the reference registry
    submission = submit(person)
    page = reviewer.get(f"/console/review/{submission.pk}/").content.decode()
    assert "国家平台核验" in page and "实名认证失败:" in page and "未核验" not in page

    # Meanwhile the same document is verified on another account: the reviewer is warned, and
    # 审核通过 answers in the reviewer's words.
    other = factories.natural_account("same_person", id_number=number)
    NaturalPerson.objects.filter(account=other).update(verified_id_index=other.person.id_index)
    page = reviewer.get(f"/console/review/{submission.pk}/").content.decode()
    assert "该证件已在账号 <strong>same_person</strong> 上完成实名认证" in page
    answer = reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "不能审核通过;请选择审核不通过" in answer.content.decode()
    services.reject(submission_id=submission.pk, reviewer=reviewer.account, reason="证件已在其他账号认证")
    with pytest.raises(services.DocumentTaken):  # and the user cannot submit documents that cannot pass
        submit(person)


def test_earlier_decisions_are_shown_before_the_decision(reviewer):
    person = factories.natural_account()
    first = submit(person)
    services.reject(submission_id=first.pk, reviewer=reviewer.account, reason="照片不清晰")
    second = submit(person)
    page = reviewer.get(f"/console/review/{second.pk}/").content.decode()
    assert page.index("此前的提交") < page.index("审核通过") and "照片不清晰" in page


def test_an_open_case_is_one_reviewers_until_decided_or_left(reviewer):
    """Issue 25: any reviewer could open any evidence file. A case is the reviewer's who opened it:
    a colleague sees neither its documents nor its decision buttons, and cannot decide it, until
    the first reviewer decides or leaves it for CLAIM_MINUTES."""
    from idp import review

    submission = submit(factories.natural_account())
    assert 'name="decision"' in reviewer.get(f"/console/review/{submission.pk}/").content.decode()
    colleague = Client()
    factories.sign_in(colleague, factories.staff("reviewer_2"))
    page = colleague.get(f"/console/review/{submission.pk}/").content.decode()
    assert "正由审核员 reviewer_1 处理" in page and 'name="decision"' not in page
    refused = colleague.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "正由审核员 reviewer_1 处理" in refused.content.decode()
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.PENDING
    Submission.objects.filter(pk=submission.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=review.CLAIM_MINUTES + 1))
    assert 'name="decision"' in colleague.get(f"/console/review/{submission.pk}/").content.decode()
    colleague.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"})
    assert Submission.objects.get(pk=submission.pk).status == SubmissionStatus.APPROVED
