"""Issue 11, item 8: a reviewer cannot decide on their own account, and an appeal that moves
an account to another phone takes a second reviewer — driven through the console."""

import os
import subprocess
import sys

import pytest
from django.test import Client

from config import env
from idp.realname.models import Submission, SubmissionStatus
from idp.recovery.models import Appeal, AppealStatus, ResetLink
from tests import factories
from tests.recovery.test_appeals import person_appeal_data
from tests.test_config import SAFE_PRODUCTION

pytestmark = pytest.mark.django_db


def staff_client(login_name, **account_fields):
    staff = factories.natural_account(login_name, **account_fields)
    staff.is_staff = True
    staff.save()
    client = Client()
    factories.sign_in(client, staff)
    client.account = staff
    return client


def test_a_reviewer_cannot_approve_their_own_manual_verification():
    reviewer = staff_client("self_reviewer")
    reviewer.post("/online/verification/", {"id_front": factories.upload("f.png"),
                                            "id_back": factories.upload("b.png")})
    submission = Submission.objects.get(account=reviewer.account)
    page = reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "不能审核本人的认证申请" in page.content.decode()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING
    colleague = staff_client("colleague")
    colleague.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"})
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.APPROVED and submission.decided_by == colleague.account


def test_a_reviewer_cannot_decide_an_appeal_for_their_own_account(client, settings):
    settings.IDP_APPEAL_SECOND_REVIEWER = False
    number = factories.resident_id(seq="901")
    reviewer = staff_client("appeal_self", id_number=number)
    client.post("/password/appeal/person/", person_appeal_data(client, number, phone="13988889999"))
    appeal = Appeal.objects.get()
    answer = reviewer.post(f"/console/appeal/{appeal.pk}/decide/",
                           {"decision": "approve", "account": reviewer.account.pk}, follow=True)
    assert "不能审核与本人有关的申诉" in answer.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING and not ResetLink.objects.exists()


def test_moving_an_account_to_another_phone_takes_two_reviewers(client, settings, django_capture_on_commit_callbacks):
    settings.IDP_APPEAL_SECOND_REVIEWER = True
    number = factories.resident_id(seq="902")
    account = factories.natural_account("victim_902", id_number=number, mobile="13900009020")
    client.post("/password/appeal/person/", person_appeal_data(client, number, phone="13988889020"))
    appeal = Appeal.objects.get()
    first, second = staff_client("first_rev"), staff_client("second_rev")
    page = first.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "approve", "account": account.pk},
                      follow=True).content.decode()
    assert "需另一位审核员复核" in page
    account.refresh_from_db()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING and account.phone == "13900009020" and not ResetLink.objects.exists()
    again = first.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "approve", "account": account.pk},
                       follow=True).content.decode()
    assert "需由另一位审核员复核" in again  # the same reviewer twice is still one pair of eyes
    assert "待另一位审核员复核" in second.get(f"/console/appeal/{appeal.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        second.post(f"/console/appeal/{appeal.pk}/decide/", {"decision": "approve", "account": account.pk})
    appeal.refresh_from_db()
    account.refresh_from_db()
    assert appeal.status == AppealStatus.APPROVED and account.phone == "13988889020"
    assert ResetLink.objects.filter(account=account).count() == 1


def _production_setting(**environ) -> str:
    script = "from config.settings import production as p; print(p.IDP_APPEAL_SECOND_REVIEWER)"
    clean = {k: v for k, v in SAFE_PRODUCTION.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", script], cwd=env.BASE_DIR, capture_output=True, text=True,
                            env={"PATH": os.environ["PATH"], **clean, **environ}, timeout=60)
    return result.stdout.strip() or result.stderr


def test_production_turns_the_second_reviewer_on_by_default():
    assert _production_setting() == "True"
    assert _production_setting(IDP_APPEAL_SECOND_REVIEWER="0") == "False"


@pytest.mark.parametrize("tie", ["phone", "document"])
def test_a_reviewer_cannot_approve_another_account_of_their_own(tie):
    """Issue 25 N6: a reviewer approved the verification of a second account he registered with
    his own phone — four eyes compared the account only."""
    reviewer = staff_client("two_accounts_reviewer")
    own_number = reviewer.account.person.id_number
    second = factories.natural_account("second_of_reviewer",
                                       **({"mobile": reviewer.account.phone} if tie == "phone" else
                                          {"id_number": own_number}))
    applicant = Client()
    applicant.force_login(second)
    applicant.post("/online/verification/",
                   {"id_front": factories.upload("f.png"), "id_back": factories.upload("b.png")})
    submission = Submission.objects.get(account=second)
    page = reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "不能审核本人的认证申请" in page.content.decode()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING
    colleague = staff_client("independent_colleague")
    colleague.post(f"/console/review/{submission.pk}/decide/", {"decision": "reject", "reason": "材料不清晰"})
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.REJECTED
