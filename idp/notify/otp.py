"""One-time codes: the single mechanism every SMS (and e-mail) code of the platform goes through.

A code is 6 digits, valid IDP_OTP_TTL_SECONDS (5 minutes), single use, bound to a phone
and a purpose, with a limited number of attempts; a new code for the same phone and purpose
can be asked for once a minute, and each phone and each IP has a daily cap.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.core.crypto import digest_matches, keyed_digest
from idp.core.errors import Refused
from idp.core.metrics import SMS
from idp.notify import tasks
from idp.notify.models import OneTimeCode

PURPOSES = {
    "register": gettext_lazy("注册"),
    "register_agent": gettext_lazy("法人注册(主代办人)"),
    "reset_password": gettext_lazy("重置密码"),
    "reset_password_email": gettext_lazy("重置密码"),
    "appeal": gettext_lazy("申诉找回密码"),
}


class CodeError(Refused):
    """A code could not be sent or was not accepted (`code` says why)."""


def _digest(phone: str, purpose: str, code: str) -> str:
    return keyed_digest(f"{phone}:{purpose}:{code}")


def send_code(*, phone: str, purpose: str, ip: str, email: bool = False) -> OneTimeCode:
    """Create a code for `phone` + `purpose` and queue it for sending, within the resend limits.

    With email=True, `phone` is an e-mail address and the code goes by mail.
    """
    if purpose not in PURPOSES:
        raise CodeError(_("未知的验证码用途"), code="purpose")
    # A short lock (an atomic cache.add) so two simultaneous requests cannot both pass the
    # resend check below and send two codes.
    lock = f"otp-send:{purpose}:{phone}"
    if not cache.add(lock, 1, timeout=10):
        raise CodeError(_("验证码正在发送,请稍候"), code="too_soon")
    try:
        sent = _send_code(phone=phone, purpose=purpose, ip=ip, email=email)
    except CodeError as refused:
        SMS.labels(f"refused:{refused.code}").inc()
        raise
    finally:
        cache.delete(lock)
    SMS.labels("sent").inc()
    return sent


def _send_code(*, phone: str, purpose: str, ip: str, email: bool) -> OneTimeCode:
    now = timezone.now()
    last = (
        OneTimeCode.objects.filter(phone=phone, purpose=purpose).order_by("-created_at").first()
    )
    if last and (now - last.created_at).total_seconds() < settings.IDP_OTP_RESEND_SECONDS:
        wait = settings.IDP_OTP_RESEND_SECONDS - int((now - last.created_at).total_seconds())
        raise CodeError(_("验证码已发送,请 %(seconds)s 秒后再重新获取") % {"seconds": wait}, code="too_soon")
    day_ago = now - timedelta(days=1)
    if (
        OneTimeCode.objects.filter(phone=phone, created_at__gte=day_ago).count()
        >= settings.IDP_OTP_DAILY_PER_PHONE
    ):
        raise CodeError(_("该手机号今天获取验证码的次数已达上限,请明天再试"), code="phone_cap")
    if (
        OneTimeCode.objects.filter(requested_ip=ip, created_at__gte=day_ago).count()
        >= settings.IDP_OTP_DAILY_PER_IP
    ):
        raise CodeError(_("您今天获取验证码的次数已达上限,请明天再试"), code="ip_cap")

    code = f"{secrets.randbelow(10**6):06d}"
    minutes = settings.IDP_OTP_TTL_SECONDS // 60
    record = OneTimeCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_digest=_digest(phone, purpose, code),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.IDP_OTP_TTL_SECONDS),
        requested_ip=ip,
    )
    text = _("【政务服务平台】您的%(purpose)s验证码为 %(code)s,%(minutes)s 分钟内有效。请勿告诉他人。") % {
        "purpose": PURPOSES[purpose], "code": code, "minutes": minutes}
    tasks.queue(to=phone, purpose=purpose, text=text, code=code, code_id=record.pk, email=email)
    return record


def check_code(*, phone: str, purpose: str, code: str) -> int:
    """Check `code` for `phone` + `purpose` without spending it; returns the code's id.

    Call it outside any transaction: a wrong guess is counted and committed at once, so
    the attempt limit holds even when the caller's later work rolls back.
    """
    code = (code or "").strip()
    if not code:
        raise CodeError(_("请输入短信验证码"), code="required")
    record = OneTimeCode.objects.filter(phone=phone, purpose=purpose).order_by("-created_at").first()
    if record is None:
        raise CodeError(_("请先获取短信验证码"), code="missing")
    if record.used_at is not None:
        raise CodeError(_("验证码已使用,请重新获取"), code="used")
    if record.expires_at <= timezone.now():
        raise CodeError(_("验证码已过期,请重新获取"), code="expired")
    # Count the attempt first, in one conditional update: of any number of parallel guesses
    # only IDP_OTP_MAX_ATTEMPTS get as far as the comparison.
    with transaction.atomic():
        counted = OneTimeCode.objects.filter(pk=record.pk, attempts__lt=settings.IDP_OTP_MAX_ATTEMPTS).update(
            attempts=F("attempts") + 1)
    if not counted:
        raise CodeError(_("验证码输入错误次数过多,请重新获取"), code="attempts")
    if not digest_matches(record.code_digest, f"{phone}:{purpose}:{code}"):
        raise CodeError(_("短信验证码错误"), code="wrong")
    return record.pk


def consume_code(code_id: int) -> None:
    """Spend a checked code. Call it inside the transaction of the action the code allows,
    so a failed action leaves the code usable; of two concurrent uses only one succeeds."""
    spent = OneTimeCode.objects.filter(pk=code_id, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:
        raise CodeError(_("验证码已使用,请重新获取"), code="used")
