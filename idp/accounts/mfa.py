"""两步验证 (second factor): TOTP (RFC 6238) from an authenticator app, with single-use
recovery codes.

Staff (reviewers, operators, /admin/) must use it: their first login enrols a device. Anyone
else may enrol in 我的信息 → 两步验证. A code is accepted within ±1 time step and never twice
(the accepted step is recorded with a compare-and-set); recovery codes are stored as keyed
digests and spent with one conditional update.
"""

import secrets
import time

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from idp.accounts.models import Account, RecoveryCode, TotpDevice
from idp.core import crypto

ISSUER = "政务服务平台"
STEP = 30
RECOVERY_CODES = 10


def required(account: Account) -> bool:
    return account.is_staff or account.is_superuser


def enrolled(account: Account) -> bool:
    known = getattr(account, "has_totp", None)  # annotated when the login loaded the account
    return known if known is not None else TotpDevice.objects.filter(account=account).exists()


def needs_second_factor(account: Account) -> bool:
    return required(account) or enrolled(account)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning(account: Account, secret: str) -> dict:
    """What the enrolment page shows: the secret, the otpauth URI and its QR code (an SVG data URI)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.login_name, issuer_name=ISSUER)
    return {"secret": secret, "uri": uri, "qr": segno.make(uri, error="m").svg_data_uri(scale=4)}


def _step_matching(secret: str, code: str) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    now = int(time.time()) // STEP
    totp = pyotp.TOTP(secret)
    for step in (now - 1, now, now + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def enrol(account: Account, secret: str, code: str) -> list[str] | None:
    """Confirm a device with a first code; returns the recovery codes (shown once) or None."""
    step = _step_matching(secret, code)
    if step is None:
        return None
    with transaction.atomic():
        TotpDevice.objects.update_or_create(account=account, defaults={"secret": secret, "last_step": step})
        return _new_recovery_codes(account)


def _new_recovery_codes(account: Account) -> list[str]:
    RecoveryCode.objects.filter(account=account).delete()
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create([RecoveryCode(account=account, digest=_digest(c)) for c in codes])
    return codes


def _digest(code: str) -> str:
    return crypto.keyed_digest("recovery-code:" + code.strip().lower())


def _digests(code: str) -> list[str]:
    return crypto.keyed_digests("recovery-code:" + code.strip().lower())


def verify(account: Account, code: str) -> str | None:
    """'totp' or 'recovery' when `code` is a fresh authenticator code or an unused recovery
    code of the account (which it then spends), else None."""
    device = TotpDevice.objects.filter(account=account).first()
    if device is not None:
        step = _step_matching(device.secret, code)
        if step is not None and TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step):
            return "totp"
    if code and RecoveryCode.objects.filter(account=account, digest__in=_digests(code), used_at__isnull=True).update(
            used_at=timezone.now()):
        return "recovery"
    return None


def remove(account: Account) -> None:
    TotpDevice.objects.filter(account=account).delete()
    RecoveryCode.objects.filter(account=account).delete()
