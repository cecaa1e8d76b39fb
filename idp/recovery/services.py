"""Password recovery (SPEC 5): reset by login name, appeals, and the single-use reset link.

Rule of the module: after the first step (which, by design, says whether a login name or
unit exists and is therefore captcha-protected and throttled), every mismatch gets the same
answer, so recovery cannot be used to learn another account's phone, e-mail or USCC.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from idp import review
from idp.accounts import login, passkeys
from idp.accounts.events import CredentialsReset
from idp.accounts.models import (
    AGENT_DOCUMENT,
    OWN_DOCUMENT,
    Account,
    NaturalPerson,
    Organisation,
    OrganisationChange,
    document_indexes,
    set_document,
)
from idp.accounts.services import change_entry
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import after_response, events, ratelimit
from idp.core.errors import Refused
from idp.identifiers.masking import mask_login_name, mask_phone
from idp.notify import otp
from idp.realname import uploads
from idp.recovery.models import Appeal, AppealFile, AppealKind, AppealStatus, ResetLink

log = logging.getLogger(__name__)

MISMATCH = gettext_lazy("填写的信息与账号预留信息不一致,请核对后重试")
TOO_MANY = gettext_lazy("尝试次数过多,请一小时后再试")
TOO_MANY_SENDS = gettext_lazy("获取验证码过于频繁,请一小时后再试")
NO_SUCH_LINK = gettext_lazy("该链接无效或已过期,请重新申请找回密码")


class RecoveryError(Refused):
    """`wait`: the seconds before the same request may be made again, when that is why."""

    def __init__(self, message: str, field: str | None = None, *, code: str = "", wait: int = 0):
        super().__init__(message, field, code=code)
        self.wait = wait


# --- 5.1 登录名重置密码 ---------------------------------------------------------------------

def _throttle_lookup(ip: str) -> None:
    """检索用户 / 检索单位名 reveal existence by design: throttle them per IP."""
    if not ratelimit.allow("reset-lookup", ip, limit=settings.IDP_RESET_LOOKUPS_PER_IP, window=600):
        raise RecoveryError(_("查询过于频繁,请 10 分钟后再试"))


def find_account(*, login_name: str, ip: str) -> Account | None:
    """The active account with this login name (throttled; RecoveryError when over the limit)."""
    _throttle_lookup(ip)
    account = Account.objects.filter(login_name__lower=login_name.strip().lower(), is_active=True).first()
    if account:
        record(Event.RESET_REQUESTED, account=account, ip=ip)
    return account


def _reserved(account: Account, method: str) -> str:
    return account.email.lower() if method == "email" else account.phone


def _whose(account: Account, device: str | None) -> str:
    """The per-account counters and pauses — kept for the trusted device instead, when the
    browser is one where the account logged in before (accounts.devices), so the pauses others
    cause do not shut out the owner."""
    return f"device:{device}" if device else str(account.pk)


def send_reset_code(*, account: Account, method: str, destination: str, ip: str,
                    device: str | None = None) -> None:
    """获取短信验证码: send a code to the account's reserved phone (or e-mail) — only if
    `destination` is it.

    Nothing the caller sees may depend on whether it is (SPEC 9): every press counts against
    the per-account and per-IP send limits, and the code is created and sent after the
    response (after_response), where a resend pause, a daily cap or a slow gateway cannot show
    in the answer, its status or its timing.
    """
    _check_throttle(account, ip, device)
    if wait := ratelimit.remaining("reset-send-pause", _whose(account, device)):
        # Every press waits, right destination or wrong: the pause tells nothing, and a press
        # that the code's own resend pause would drop is not answered 已发送.
        raise RecoveryError(_("请 %(seconds)s 秒后再获取验证码") % {"seconds": wait}, wait=wait)
    ratelimit.set_until("reset-send-pause", _whose(account, device), settings.IDP_OTP_RESEND_SECONDS)
    within = [
        ratelimit.allow("reset-send", _whose(account, device), limit=settings.IDP_RESET_SENDS_PER_ACCOUNT, window=3600),
        ratelimit.allow("reset-send-ip", ip, limit=settings.IDP_RESET_SENDS_PER_IP, window=3600)]
    if not all(within):  # both counted, whichever is over
        raise RecoveryError(TOO_MANY_SENDS)
    destination = destination.strip().lower() if method == "email" else destination.strip()
    if destination and destination == _reserved(account, method):
        language = get_language()  # the requester's: the code is sent after the response
        after_response.defer(lambda: _deliver_reset_code(account, method, destination, ip, language))


def _deliver_reset_code(account: Account, method: str, destination: str, ip: str, language: str) -> None:
    purpose = "reset_password_email" if method == "email" else "reset_password"
    try:
        with translation.override(language):
            otp.send_code(phone=destination, purpose=purpose, ip=ip, email=method == "email")
    except otp.CodeError as refused:  # resend pause, daily cap, gateway down: the user asks again
        log.warning("reset code not sent", extra={"account": account.pk, "reason": refused.code})
        return
    record(Event.RESET_CODE_SENT, account=account, ip=ip, method=method)


def _check_throttle(account: Account, ip: str, device: str | None) -> None:
    if ratelimit.remaining("reset-lock", _whose(account, device)) or ratelimit.remaining("reset-lock-ip", ip):
        raise RecoveryError(TOO_MANY)


def _count_failure(account: Account, ip: str, device: str | None) -> None:
    record(Event.RESET_FAILED, account=account, ip=ip)
    whose = _whose(account, device)
    if ratelimit.hit("reset-fail", whose, window=3600) >= settings.IDP_RESET_FAILURES_PER_ACCOUNT:
        ratelimit.set_until("reset-lock", whose, 3600)
    if ratelimit.hit("reset-fail-ip", ip, window=3600) >= settings.IDP_RESET_FAILURES_PER_IP:
        ratelimit.set_until("reset-lock-ip", ip, 3600)


def reset_password(*, account: Account, method: str, destination: str, destination_confirm: str,
                   org_name: str, uscc: str, code: str, new_password: str, reason: str, ip: str,
                   device: str | None = None) -> None:
    """重置密码: every piece must match the account; any mismatch is the one MISMATCH answer.
    Code problems (wrong, expired, used) are told apart only once the rest matched."""
    _check_throttle(account, ip, device)
    normal = (lambda v: v.strip().lower()) if method == "email" else (lambda v: v.strip())
    matches = (normal(destination) == normal(destination_confirm) == _reserved(account, method)
               and bool(_reserved(account, method)))
    if account.is_legal:
        org = account.organisation
        matches = matches and org.name == org_name.strip() and (org.uscc or "") == uscc.strip().upper()
    if not matches:
        _count_failure(account, ip, device)
        raise RecoveryError(MISMATCH)
    purpose = "reset_password_email" if method == "email" else "reset_password"
    try:
        code_id = otp.check_code(phone=_reserved(account, method), purpose=purpose, code=code)
    except otp.CodeError as error:
        _count_failure(account, ip, device)
        raise RecoveryError(str(error), field="code") from None
    with transaction.atomic():
        otp.consume_code(code_id)
        _set_password(account, new_password, ip=ip, how="login_name", reason=reason)


def _set_password(account: Account, new_password: str, *, ip: str, **detail) -> None:
    account.set_new_password(new_password)
    account.save(update_fields=["password", "password_changed_at"])
    login.lift_lock(account.login_name)
    record(Event.RESET_DONE, account=account, actor=account, ip=ip, **detail)
    passkeys.ask_for_review(account)
    # The changed password hash ends every platform session (Django's session hash check);
    # single sign-on ends what lives elsewhere (SSO sessions, refresh tokens).
    events.publish(CredentialsReset(account=account))


# --- 5.2 / 5.3 appeals ------------------------------------------------------------------------

def find_organisation(*, name: str, uscc: str, ip: str) -> Organisation | None:
    """检索单位名: the unit with this full name (and USCC, when given); throttled like find_account."""
    _throttle_lookup(ip)
    found = Organisation.objects.filter(name=name.strip()).select_related("account")
    if uscc:
        found = found.filter(uscc=uscc.strip().upper())
    return found.first()


def _new_reference() -> str:
    return f"SS{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}"


def file_appeal(*, kind: str, data: dict, front, back, ip: str) -> Appeal:
    """Store an appeal with its two document images, whatever it matches (the reviewer sees
    whether it matches anything). Raises uploads.InvalidUploads naming each side that is wrong."""
    checked = uploads.check_all({"front": (front, _("证件正面")), "back": (back, _("证件反面"))},
                                slot_of=lambda side: "id_front")  # images only, the size limit
    with transaction.atomic():
        appeal = Appeal(kind=kind, ip=ip, name=data["name"], phone=data["phone"], language=get_language(),
                        email=data.get("email", ""), org_name=data.get("org_name", ""),
                        legal_type=data.get("legal_type", ""), uscc=data.get("uscc", "") or "")
        set_document(appeal, OWN_DOCUMENT, identity_type=data["identity_type"], id_type=data["id_type"],
                     id_number=data["id_number"])
        for _attempt in range(5):
            appeal.reference = _new_reference()
            try:
                with transaction.atomic():
                    appeal.save()
                break
            except IntegrityError:
                continue
        for side, (data_bytes, content_type, _name) in checked.items():
            AppealFile.objects.create(appeal=appeal, side=side, storage_name=uploads.store(data_bytes),
                                      content_type=content_type, size=len(data_bytes))
        record(Event.APPEAL_FILED, ip=ip, reference=appeal.reference, kind=kind)
    return appeal


def appeal_status(*, reference: str, phone: str) -> Appeal | None:
    return Appeal.objects.filter(reference=reference.strip().upper(), phone=phone.strip()).first()


def candidates(appeal: Appeal) -> list[Account]:
    """The accounts an appeal may be for: by identity number (verified holder first) for
    persons, by USCC for organisations."""
    if appeal.kind == AppealKind.NATURAL:
        people = (NaturalPerson.objects.filter(id_index__in=document_indexes(appeal)).select_related("account")
                  .order_by("account__date_joined"))
        ranked = sorted(people, key=lambda p: p.verified_id_index is None)
        return [p.account for p in ranked]
    if not appeal.uscc:
        return []
    return [org.account for org in Organisation.objects.filter(uscc=appeal.uscc).select_related("account")]


def open_for_review(appeal: Appeal, reviewer: Account) -> bool:
    """As realname.services.open_for_review: the appeal is this reviewer's for a while."""
    own = review.reviewers_own(reviewer, phones=[appeal.phone], documents=document_indexes(appeal))
    first = appeal.first_approved_by_id == reviewer.pk  # a second reviewer's turn
    if appeal.status == AppealStatus.PENDING and not (own or first):
        review.claim(Appeal, appeal.pk, reviewer, pending=AppealStatus.PENDING)
        appeal.refresh_from_db(fields=["claimed_by", "claimed_at"])
    return review.may_see_documents(appeal, reviewer)


def _lock_pending(appeal_id: int, reviewer: Account) -> Appeal:
    return review.lock_pending(Appeal, appeal_id, pending=AppealStatus.PENDING, decided=lambda appeal: RecoveryError(
        _("该申诉已处理(%(status)s),无需重复审核") % {"status": appeal.get_status_display()}),
        reviewer=reviewer, taken=lambda appeal: RecoveryError(review.taken_message(appeal)))


def _issue_link(account: Account, appeal: Appeal) -> str:
    token = secrets.token_urlsafe(32)
    ResetLink.objects.create(account=account, appeal=appeal,
                             token_digest=hashlib.sha256(token.encode()).hexdigest(),
                             expires_at=timezone.now() + timedelta(hours=settings.IDP_RESET_LINK_HOURS))
    return f"{settings.IDP_ISSUER}/password/set/{token}/"


def _replace_main_agent(account: Account, appeal: Appeal, reviewer: Account) -> None:
    """Approving a legal-person appeal makes the appellant the main agent (信息更新记录)."""
    org = Organisation.objects.select_for_update().get(account=account)
    before = {"agent_name": org.agent_name, "agent_identity_type": org.agent_identity_type,
              "agent_id_type": org.agent_id_type, "agent_id_number": org.agent_id_number,
              "phone": account.phone, "email": account.email}
    org.agent_name = appeal.name
    set_document(org, AGENT_DOCUMENT, identity_type=appeal.identity_type, id_type=appeal.id_type,
                 id_number=appeal.id_number)
    org.save()
    account.phone = appeal.phone
    account.email = appeal.email or account.email
    account.save(update_fields=["phone", "email"])
    after = {"agent_name": org.agent_name, "agent_identity_type": org.agent_identity_type,
             "agent_id_type": org.agent_id_type, "agent_id_number": org.agent_id_number,
             "phone": account.phone, "email": account.email}
    labels = {"agent_name": gettext_lazy("主代办人姓名"), "agent_identity_type": gettext_lazy("主代办人身份类型"),
              "agent_id_type": gettext_lazy("主代办人证件类型"), "agent_id_number": gettext_lazy("主代办人证件号码"),
              "phone": gettext_lazy("主代办人手机号码"), "email": gettext_lazy("电子邮箱")}
    changes = [change_entry(key, labels[key], before[key], after[key]) for key in before if before[key] != after[key]]
    if changes:
        OrganisationChange.objects.create(organisation=org, actor=reviewer, changes=changes)


def _not_own(appeal: Appeal, reviewer: Account, account: Account | None = None) -> None:
    """Four eyes: a reviewer never decides an appeal for their own account, nor one they filed
    (their own phone or identity document)."""
    if review.reviewers_own(reviewer, account=account, phones=[appeal.phone], documents=document_indexes(appeal)):
        raise RecoveryError(_("不能审核与本人有关的申诉,请由其他审核员处理"))


def _needs_second_reviewer(appeal: Appeal, account: Account, reviewer: Account) -> bool:
    """An approval that moves the account to another phone takes two reviewers
    (IDP_APPEAL_SECOND_REVIEWER): the first approval is recorded, the second applies it."""
    if not settings.IDP_APPEAL_SECOND_REVIEWER or appeal.phone == account.phone:
        return False
    if appeal.first_approved_by_id is None:
        return True
    if appeal.first_approved_by_id == reviewer.pk:
        raise RecoveryError(_("该申诉已由您初审通过,需由另一位审核员复核"))
    if appeal.first_approved_account_id != account.pk:
        raise RecoveryError(_("复核所选账号与初审不一致,请核对后再审,或驳回"))
    return False


def approve_appeal(*, appeal_id: int, account_id: int, reviewer: Account, ip: str = "") -> Appeal:
    """Approve: the appellant gets the login name and a single-use link by SMS. A legal-person
    appeal also replaces the main agent; a natural person's reserved phone becomes the
    phone of the appeal (the one they still have). Where that moves the account to another
    phone, the first approval only records itself (the appeal stays pending) and a second
    reviewer's approval applies it."""
    with transaction.atomic():
        appeal = _lock_pending(appeal_id, reviewer)
        account = next((a for a in candidates(appeal) if a.pk == account_id), None)
        if account is None:
            raise RecoveryError(_("请选择与申诉信息匹配的账号;没有匹配的账号时只能驳回"))
        account = Account.objects.select_for_update().get(pk=account.pk)
        _not_own(appeal, reviewer, account)
        if _needs_second_reviewer(appeal, account, reviewer):
            appeal.first_approved_by, appeal.first_approved_account = reviewer, account
            appeal.first_approved_at = timezone.now()
            appeal.save(update_fields=["first_approved_by", "first_approved_account", "first_approved_at"])
            review.release(appeal)  # the second reviewer opens it next
            record(Event.APPEAL_FIRST_APPROVED, account=account, actor=reviewer, ip=ip, reference=appeal.reference)
            return appeal
        if appeal.kind == AppealKind.LEGAL:
            _replace_main_agent(account, appeal, reviewer)
        elif account.phone != appeal.phone:
            account.phone = appeal.phone
            account.save(update_fields=["phone"])
        link = _issue_link(account, appeal)
        review.decide(appeal, AppealStatus.APPROVED, reviewer, account=account)
        record(Event.APPEAL_APPROVED, account=account, actor=reviewer, ip=ip, reference=appeal.reference)
        review.notify_after_commit(appeal.phone, "appeal_result", appeal.language, lambda: _(
            "【政务服务平台】您的申诉(%(reference)s)已审核通过。登录名:%(login_name)s。"
            "请在 %(hours)s 小时内打开链接设置新密码:%(link)s") % {
            "reference": appeal.reference, "login_name": account.login_name,
            "hours": settings.IDP_RESET_LINK_HOURS, "link": link})
    return appeal


def reject_appeal(*, appeal_id: int, reason: str, reviewer: Account, ip: str = "") -> Appeal:
    reason = review.reason_given(reason, missing=lambda: RecoveryError(_("请填写不通过的原因")))
    with transaction.atomic():
        appeal = _lock_pending(appeal_id, reviewer)
        _not_own(appeal, reviewer)
        review.decide(appeal, AppealStatus.REJECTED, reviewer, reason=reason)
        record(Event.APPEAL_REJECTED, actor=reviewer, ip=ip, reference=appeal.reference, reason=reason[:200])
        review.notify_after_commit(appeal.phone, "appeal_result", appeal.language, lambda: _(
            "【政务服务平台】您的申诉(%(reference)s)未通过审核,原因:%(reason)s。")
            % {"reference": appeal.reference, "reason": reason[:60]})
    return appeal


# --- the single-use link -----------------------------------------------------------------------

def _valid_links():
    return ResetLink.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())


def link_for(token: str) -> ResetLink | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return _valid_links().select_related("account").filter(token_digest=digest).first()


def use_link(*, token: str, new_password: str, ip: str) -> Account:
    """Set the password through a reset link; a link works once (compare-and-set)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    with transaction.atomic():
        spent = _valid_links().filter(token_digest=digest).update(used_at=timezone.now())
        if not spent:
            raise RecoveryError(NO_SUCH_LINK)
        account = ResetLink.objects.select_related("account").get(token_digest=digest).account
        _set_password(account, new_password, ip=ip, how="appeal_link")
    return account


def masked_contact(org: Organisation) -> dict:
    """What 检索单位名 shows an organisation about its own legal-person account."""
    return {"login_name": mask_login_name(org.account.login_name), "phone": mask_phone(org.account.phone)}

