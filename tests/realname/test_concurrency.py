"""One document verifies one account, and one item is decided once — under real concurrency."""

import pytest

from idp.accounts.models import Account, NaturalPerson, RealNameStatus
from idp.realname import services
from idp.realname.models import Submission, SubmissionStatus
from tests import factories
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_two_accounts_verifying_one_document_at_once(attempt):
    """Both match the registry; exactly one becomes verified, the other fails naming it."""
    row = factories.reference_person(20 + attempt)
    accounts = [factories.natural_account(f"twin_{attempt}_{i}", id_number=row["id_number"], name=row["name"])
                for i in range(2)]
    statuses = run_together(*[
        (lambda a=a: services.check_automatically(account=a, actor=a)) for a in accounts])
    assert sorted(statuses) == [RealNameStatus.REGISTRY_FAILED, RealNameStatus.REGISTRY_PASSED]
    assert NaturalPerson.objects.filter(verified_id_index__isnull=False).count() == 1
    loser = Account.objects.get(realname_status=RealNameStatus.REGISTRY_FAILED)
    assert "一个证件只能认证一个账号" in loser.realname_reason


def test_automatic_and_manual_verification_of_one_document_at_once():
    """A reviewer approving one account while the registry passes another: one wins."""
    row = factories.reference_person(30)
    reviewer = factories.natural_account("rev")
    manual = factories.natural_account("manual_one", id_number=row["id_number"], name="别名")
    automatic = factories.natural_account("auto_one", id_number=row["id_number"], name=row["name"])
    submission = services.submit_documents(
        account=manual, actor=manual,
        files={"id_front": factories.upload("f.png"), "id_back": factories.upload("b.png")})
    results = run_together(
        lambda: services.approve(submission_id=submission.pk, reviewer=reviewer),
        lambda: services.check_automatically(account=automatic, actor=automatic),
    )
    verified = Account.objects.filter(realname_status__in=[RealNameStatus.REVIEW_APPROVED,
                                                           RealNameStatus.REGISTRY_PASSED])
    assert verified.count() == 1
    assert NaturalPerson.objects.filter(verified_id_index__isnull=False).count() == 1
    if isinstance(results[0], Exception):
        assert isinstance(results[0], services.DocumentTaken)


def test_two_reviewers_decide_one_item():
    """One approval and one rejection at the same instant: exactly one decision stands."""
    account = factories.natural_account("contested")
    first, second = factories.natural_account("rev_a"), factories.natural_account("rev_b")
    submission = services.submit_documents(
        account=account, actor=account,
        files={"id_front": factories.upload("f.png"), "id_back": factories.upload("b.png")})
    results = run_together(
        lambda: services.approve(submission_id=submission.pk, reviewer=first),
        lambda: services.reject(submission_id=submission.pk, reviewer=second, reason="不清晰"),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], services.AlreadyDecided)
    submission.refresh_from_db()
    account.refresh_from_db()
    expected = {SubmissionStatus.APPROVED: RealNameStatus.REVIEW_APPROVED,
                SubmissionStatus.REJECTED: RealNameStatus.REVIEW_REJECTED}
    assert account.realname_status == expected[submission.status]


def test_two_submits_at_once_make_one_pending_item():
    account = factories.natural_account("double_click")

    def submit():
        return services.submit_documents(
            account=account, actor=account,
            files={"id_front": factories.upload("f.png"), "id_back": factories.upload("b.png")})

    results = run_together(submit, submit)
    assert sum(isinstance(r, services.VerificationError) for r in results) == 1
    assert Submission.objects.filter(account=account, status=SubmissionStatus.PENDING).count() == 1
