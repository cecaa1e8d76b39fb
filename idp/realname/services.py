"""The real-name verification state machine (SPEC 3), one function per transition.

    未实名认证 ──automatic check──▶ 国家平台实名认证通过 | 实名认证失败 | (registry down) 未实名认证
    实名认证失败 / 审核未通过 / 未实名认证 ──submit documents──▶ 待人工审核
    待人工审核 ──approve──▶ 已审核认证      待人工审核 ──reject──▶ 审核未通过
    any ──identity data changed──▶ pending review superseded, verification dropped, check again

Each transition runs in one transaction, locks the account row and writes an audit entry
naming the actor. One document verifies one account: NaturalPerson.verified_id_index is
unique, so a second account with the same document cannot reach a passing state.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from idp import review
from idp.accounts.models import (
    PASSING_STATUSES,
    Account,
    NaturalPerson,
    RealNameStatus,
    RegionType,
    document_indexes,
)
from idp.audit.log import record
from idp.audit.models import AuditEntry, Event
from idp.core import jobs, ratelimit
from idp.core.errors import Refused
from idp.core.i18n import PART_SEPARATOR, source_language
from idp.identifiers.masking import mask_login_name
from idp.realname import uploads, verifiers
from idp.realname.models import LEGAL_SLOTS, NATURAL_SLOTS, EvidenceFile, Slot, Submission, SubmissionStatus

log = logging.getLogger(__name__)


class VerificationError(Refused):
    """A transition that cannot happen now."""


class AlreadyDecided(VerificationError):
    pass


NoSuchSubmission = Submission.DoesNotExist  # approve() / reject() of an id that does not exist


class DocumentTaken(VerificationError):
    pass


class TooManyChecks(VerificationError):
    def __init__(self):
        super().__init__(_("重新核验过于频繁,请一小时后再试"), code="too_many")


# --- automatic verification ---------------------------------------------------------------

def _query(account: Account):
    if account.is_natural:
        person = account.person
        if not (person.name and person.id_type and person.id_number):
            return None
        return verifiers.PersonQuery(person.name, person.id_type, person.id_number)
    org = account.organisation
    if not org.uscc or org.missing_required:  # nothing to ask, or data the registry would miss
        return None
    return verifiers.OrganisationQuery(org.name, org.uscc, org.lr_name)


def _why_not_asked(account: Account) -> str:
    if account.is_natural:
        return _("请先在“修改个人信息”中补充姓名和证件信息")
    missing = account.organisation.missing_required
    if missing:
        return _("用户信息不全,请先在“修改法人信息”中补充:%(missing)s") % {"missing": _("、").join(missing)}
    return _("港澳台地区单位、境外单位请上传材料进行人工认证")


def _claim_document(account: Account) -> None:
    """Mark the account's document as verified here, or DocumentTaken naming the holder."""
    if not account.is_natural:
        return  # an organisation's USCC is already unique among legal-person accounts
    person = NaturalPerson.objects.get(account=account)
    if person.verified_id_index == person.id_index:
        return
    # The unique column refuses a second holder; while `reencrypt` moves the indexes between crypto
    # suites, a holder whose row still has the other suite's index is found by asking for both.
    if holder := document_holder(account):
        raise DocumentTaken(taken_message(holder))
    try:
        with transaction.atomic():
            NaturalPerson.objects.filter(pk=person.pk).update(verified_id_index=person.id_index)
    except IntegrityError:
        holder = document_holder(account)
        if holder is None:
            raise DocumentTaken(_("该证件已在另一账号上完成实名认证,一个证件只能认证一个账号")) from None
        raise DocumentTaken(taken_message(holder)) from None


def document_holder(account: Account) -> Account | None:
    """Another account on which this person's document is verified already (natural persons)."""
    if not account.is_natural:
        return None
    person = NaturalPerson.objects.filter(account=account).first()
    if person is None or not person.id_index:
        return None
    holder = (NaturalPerson.objects.filter(verified_id_index__in=document_indexes(person)).exclude(account=account)
              .select_related("account").first())
    return holder.account if holder else None


def last_registry_answer(account: Account):
    """The audit entry of the latest automatic check (what the registry said, and when)."""
    return (AuditEntry.objects.filter(account=account, event__in=[
        Event.REALNAME_PASSED, Event.REALNAME_FAILED, Event.REALNAME_UNAVAILABLE]).order_by("-at").first())


def taken_message(holder: Account) -> str:
    return (_("该证件已在账号 %(account)s 上完成实名认证,一个证件只能认证一个账号。"
              "如该账号是您的,请登录该账号或通过申诉找回")
            % {"account": mask_login_name(holder.login_name)})


def _release_document(account: Account) -> None:
    if account.is_natural:
        NaturalPerson.objects.filter(account=account).update(verified_id_index=None)


def _set_status(account: Account, status: str, reason: str = "") -> None:
    account.realname_status, account.realname_reason = status, reason
    account.realname_at = timezone.now()
    account.save(update_fields=["realname_status", "realname_reason", "realname_at"])


def check_again(*, account: Account, ip: str) -> str:
    """重新核验, asked by the user: each query costs money at the real registry and checks a
    name/ID pair, so it is throttled per account and per IP (TooManyChecks)."""
    within = [ratelimit.allow("recheck", str(account.pk), limit=settings.IDP_RECHECKS_PER_ACCOUNT, window=3600),
              ratelimit.allow("recheck-ip", ip, limit=settings.IDP_RECHECKS_PER_IP, window=3600)]
    if not all(within):  # both counted, whichever is over
        raise TooManyChecks()
    return check_automatically(account=account, actor=account, ip=ip)


def check_automatically(*, account: Account, actor: Account | None, ip: str = "") -> str:
    """Submit the account's identity data to the registry and record the answer.

    Runs on registration and whenever identity data is saved. Accounts already verified or
    waiting for a reviewer are left alone. The registry is asked outside any transaction,
    so a slow registry holds no lock. Returns the new status.
    """
    if account.realname_status in PASSING_STATUSES | {RealNameStatus.PENDING_REVIEW}:
        return account.realname_status
    with source_language():  # the reason is kept, and shown in each reader's language (core/i18n.py)
        query = _query(account)
        if query is None:
            result = verifiers.Result(verifiers.MISMATCH, _why_not_asked(account))
        else:
            registry = verifiers.verifier()
            result = (registry.check_person(query) if account.is_natural
                      else registry.check_organisation(query))
        return record_automatic_result(account=account, result=result, actor=actor, ip=ip)


def record_automatic_result(*, account: Account, result: verifiers.Result, actor: Account | None,
                            ip: str = "", source: str = "registry") -> str:
    """未实名认证/实名认证失败 → 国家平台实名认证通过 | 实名认证失败 | 未实名认证 (registry unavailable)."""
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if account.realname_status in PASSING_STATUSES | {RealNameStatus.PENDING_REVIEW}:
            return account.realname_status  # decided meanwhile
        if result.outcome == verifiers.UNAVAILABLE:
            _set_status(account, RealNameStatus.UNVERIFIED, result.reason)
            record(Event.REALNAME_UNAVAILABLE, account=account, actor=actor, ip=ip)
        elif result.outcome == verifiers.MISMATCH:
            _set_status(account, RealNameStatus.REGISTRY_FAILED, result.reason)
            record(Event.REALNAME_FAILED, account=account, actor=actor, ip=ip, reason=result.reason)
        else:
            try:
                _claim_document(account)
            except DocumentTaken as taken:
                _set_status(account, RealNameStatus.REGISTRY_FAILED, str(taken))
                record(Event.REALNAME_FAILED, account=account, actor=actor, ip=ip,
                       reason=_("该证件已在另一账号完成实名认证"))
            else:
                _set_status(account, RealNameStatus.REGISTRY_PASSED)
                record(Event.REALNAME_PASSED, account=account, actor=actor, ip=ip, source=source)
    return account.realname_status


def vouched_for_upstream(*, account: Account, upstream: str, ip: str = "") -> str:
    """A trusted upstream identity provider (federation) verified this account's document or
    USCC: 国家平台实名认证通过 at once — unless the document is verified on another account."""
    return record_automatic_result(account=account, result=verifiers.Result(verifiers.MATCH), actor=account,
                                   ip=ip, source=upstream)


def on_registered(event) -> None:
    """Registered: the registry check runs in a worker once the account is committed."""
    jobs.enqueue("idp.realname.tasks.check_registration", event.account.pk, event.ip)


def on_identity_changed(event) -> None:
    identity_changed(account=event.account, actor=event.actor, ip=event.ip)


def identity_changed(*, account: Account, actor: Account | None, ip: str = "") -> str:
    """The identity data was edited: what was verified or submitted no longer applies."""
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        superseded = Submission.objects.filter(account=account, status=SubmissionStatus.PENDING).update(
            status=SubmissionStatus.SUPERSEDED, decided_at=timezone.now())
        if superseded:
            record(Event.REVIEW_SUPERSEDED, account=account, actor=actor, ip=ip)
        _release_document(account)
        _set_status(account, RealNameStatus.UNVERIFIED)
    status = check_automatically(account=account, actor=actor, ip=ip)
    if superseded and status not in PASSING_STATUSES:
        account.refresh_from_db(fields=["realname_reason"])
        with source_language():
            note = _("审核期间修改了身份信息,如需人工认证请重新上传材料")
        reason = PART_SEPARATOR.join(filter(None, [account.realname_reason, note]))
        Account.objects.filter(pk=account.pk).update(realname_reason=reason[-255:])
    return status


# --- manual verification -----------------------------------------------------------------

def slots_for(account: Account) -> tuple[list[str], set[str]]:
    """The upload slots of this account's kind, and which of them are required."""
    if account.is_natural:
        return list(NATURAL_SLOTS), set(NATURAL_SLOTS)
    required = {Slot.ORG_CERTIFICATE, Slot.LR_DOCUMENT}
    if account.organisation.region_type != RegionType.DOMESTIC:
        required.add(Slot.OTHER)  # other-region and foreign units prove that status
    return list(LEGAL_SLOTS), required


def pending_submission(account: Account) -> Submission | None:
    return Submission.objects.filter(account=account, status=SubmissionStatus.PENDING).first()


def submit_documents(*, account: Account, files: dict, actor: Account, ip: str = "") -> Submission:
    """人工认证: store the documents of every slot and queue them for a reviewer.

    `files` maps slot → Django UploadedFile. Raises VerificationError, or
    uploads.InvalidUploads naming every slot that is wrong, with nothing stored.
    """
    if account.is_realname_verified:
        raise VerificationError(_("账号已实名认证,无需再上传材料"))
    if pending_submission(account):
        raise VerificationError(_("材料已提交,正在等待人工审核,请勿重复提交"))
    if holder := document_holder(account):  # a review could not approve it: say so now
        raise DocumentTaken(taken_message(holder))
    slots, required = slots_for(account)
    given = {slot: (files.get(slot), Slot(slot).label) for slot in slots if slot in required or files.get(slot)}
    checked = uploads.check_all(given)
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.is_realname_verified:
            raise VerificationError(_("账号已实名认证,无需再上传材料"))
        try:
            with transaction.atomic():
                submission = Submission.objects.create(account=locked)
        except IntegrityError:
            raise VerificationError(_("材料已提交,正在等待人工审核,请勿重复提交")) from None
        for slot, (data, content_type, original) in checked.items():
            EvidenceFile.objects.create(submission=submission, slot=slot, storage_name=uploads.store(data),
                                        content_type=content_type, size=len(data),
                                        original_name=(original or "")[-120:])
        _set_status(locked, RealNameStatus.PENDING_REVIEW)
        record(Event.EVIDENCE_UPLOADED, account=locked, actor=actor, ip=ip,
               slots=sorted(checked), submission=submission.pk)
        record(Event.REVIEW_SUBMITTED, account=locked, actor=actor, ip=ip,
               submission=submission.pk)
    return submission


def _already_decided(submission: Submission) -> AlreadyDecided:
    who = submission.decided_by.login_name if submission.decided_by else _("系统")
    return AlreadyDecided(_("该申请已处理(%(status)s,%(who)s),无需重复审核")
                          % {"status": submission.get_status_display(), "who": who})


def open_for_review(submission: Submission, reviewer: Account) -> bool:
    """A reviewer opens a case: it is theirs for a while (review.claim) unless a colleague has it
    open. True when this reviewer may see its documents (theirs now, or they decided it)."""
    if submission.status == SubmissionStatus.PENDING and not review.reviewers_own(reviewer, account=submission.account):
        review.claim(Submission, submission.pk, reviewer, pending=SubmissionStatus.PENDING)
        submission.refresh_from_db(fields=["claimed_by", "claimed_at"])
    return review.may_see_documents(submission, reviewer)


def _lock_pending(submission_id: int, reviewer: Account) -> Submission:
    return review.lock_pending(Submission, submission_id, pending=SubmissionStatus.PENDING, decided=_already_decided,
                               reviewer=reviewer, taken=lambda item: VerificationError(review.taken_message(item)))


def _not_own(account: Account, reviewer: Account) -> None:
    """Four eyes: a reviewer never decides on their own account, nor on one with their phone or
    their identity document."""
    if review.reviewers_own(reviewer, account=account):
        raise VerificationError(_("不能审核本人的认证申请,请由其他审核员处理"))


def approve(*, submission_id: int, reviewer: Account, ip: str = "") -> Submission:
    """待人工审核 → 已审核认证. Two reviewers cannot both decide: the row is locked and the
    status compared before the change."""
    with transaction.atomic():
        submission = _lock_pending(submission_id, reviewer)
        account = Account.objects.select_for_update().get(pk=submission.account_id)
        _not_own(account, reviewer)
        _claim_document(account)  # DocumentTaken: the reviewer must reject instead
        review.decide(submission, SubmissionStatus.APPROVED, reviewer)
        _set_status(account, RealNameStatus.REVIEW_APPROVED)
        record(Event.REVIEW_APPROVED, account=account, actor=reviewer, ip=ip,
               submission=submission.pk)
        review.notify_after_commit(account.phone, "realname_result", account.language,
                                   lambda: _("【政务服务平台】您的实名认证材料已审核通过,账号已完成实名认证。"))
    return submission


def reject(*, submission_id: int, reviewer: Account, reason: str, ip: str = "") -> Submission:
    """待人工审核 → 审核未通过, with a reason the user sees on 我的信息 and by SMS."""
    reason = review.reason_given(reason, missing=lambda: VerificationError(_("请填写不通过的原因")))
    with transaction.atomic():
        submission = _lock_pending(submission_id, reviewer)
        account = Account.objects.select_for_update().get(pk=submission.account_id)
        _not_own(account, reviewer)
        review.decide(submission, SubmissionStatus.REJECTED, reviewer, reason=reason)
        _set_status(account, RealNameStatus.REVIEW_REJECTED, reason[:255])
        record(Event.REVIEW_REJECTED, account=account, actor=reviewer, ip=ip,
               submission=submission.pk, reason=reason[:500])
        review.notify_after_commit(account.phone, "realname_result", account.language, lambda: _(
            "【政务服务平台】您的实名认证材料未通过审核,原因:%(reason)s。请登录后修改并重新上传。")
            % {"reason": reason[:60]})
    return submission
