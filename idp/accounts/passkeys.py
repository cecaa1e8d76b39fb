"""Passkeys (WebAuthn Level 3, py_webauthn): enrolled in 我的信息 → 两步验证 after the password is
typed again; used at /login/ without a login name (discoverable credentials).

Bound to the relying-party ID IDP_WEBAUTHN_RP_ID (default: the host of IDP_ISSUER) and to the
issuer's origin. Every ceremony's challenge is kept in the platform session and spent by its
first answer; user verification (the device's PIN or biometrics) is required, so a passkey is two
factors in one — it satisfies the staff's second factor. A sign count that goes backwards (a
cloned authenticator) refuses the passkey.
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidJSONStructure, WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from idp.accounts.models import Account, Passkey
from idp.audit.log import record
from idp.audit.models import Event
from idp.core.errors import Refused

CHALLENGE_KEY = "passkey_challenge"  # {"purpose": "register" | "login", "challenge": base64url, "account"}
MAX_PER_ACCOUNT = 10


class PasskeyRefused(Refused):
    """A passkey ceremony that did not succeed; the message says what to do."""


def rp_id() -> str:
    return settings.IDP_WEBAUTHN_RP_ID


def available() -> bool:
    """Browsers refuse an IP address as the passkey domain: under one, passkeys are not offered."""
    try:
        ipaddress.ip_address(rp_id().strip("[]"))
    except ValueError:
        return bool(rp_id())
    return False


def origin() -> str:
    parts = urlsplit(settings.IDP_ISSUER)
    return f"{parts.scheme}://{parts.netloc}"


def _user_handle(account: Account) -> bytes:
    """What the authenticator stores as the user: the account's number, nothing a person typed."""
    return str(account.pk).encode()


def _remember(request, purpose: str, options, account: Account | None = None) -> str:
    request.session[CHALLENGE_KEY] = {"purpose": purpose, "challenge": bytes_to_base64url(options.challenge),
                                      "account": account.pk if account else None}
    return options_to_json(options)


def _spend(request, purpose: str) -> dict:
    state = request.session.pop(CHALLENGE_KEY, None)
    if not isinstance(state, dict) or state.get("purpose") != purpose:
        raise PasskeyRefused(_("通行密钥验证已过期,请重试"), code="stale")
    return state


def registration_options(request, account: Account) -> str:
    """The options (JSON) for navigator.credentials.create(); the account's passkeys excluded."""
    existing = [PublicKeyCredentialDescriptor(id=bytes(p.credential_id)) for p in account.passkeys.all()]
    options = generate_registration_options(
        rp_id=rp_id(), rp_name=_("政务服务平台统一身份认证"), user_id=_user_handle(account),
        user_name=account.login_name, user_display_name=account.login_name, exclude_credentials=existing,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED))
    return _remember(request, "register", options, account)


def register(request, account: Account, *, name: str, credential, ip: str = "") -> Passkey:
    """Check the browser's answer to registration_options (`credential`: its JSON, as parsed)
    and keep the passkey."""
    state = _spend(request, "register")
    if state["account"] != account.pk:
        raise PasskeyRefused(_("通行密钥验证已过期,请重试"), code="stale")
    if account.passkeys.count() >= MAX_PER_ACCOUNT:
        raise PasskeyRefused(_("最多可以添加 %(count)s 个通行密钥") % {"count": MAX_PER_ACCOUNT}, code="too_many")
    try:
        if not isinstance(credential, dict):
            raise InvalidJSONStructure("the credential is not a JSON object")
        verified = verify_registration_response(
            credential=credential, expected_challenge=base64url_to_bytes(state["challenge"]), expected_rp_id=rp_id(),
            expected_origin=origin(), require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        record(Event.PASSKEY_REFUSED, account=account, actor=account, ip=ip, step="register", reason=str(exc)[:200])
        raise PasskeyRefused(_("通行密钥添加失败,请重试"), code="invalid") from None
    transports = credential["response"].get("transports")
    transports = transports[:8] if isinstance(transports, list) else []
    with transaction.atomic():
        passkey = Passkey.objects.create(account=account, name=name.strip()[:40] or _("通行密钥"),
                                         credential_id=verified.credential_id,
                                         public_key=verified.credential_public_key, sign_count=verified.sign_count,
                                         transports=[str(t)[:16] for t in transports])
        record(Event.PASSKEY_ADDED, account=account, actor=account, ip=ip, name=passkey.name)
    return passkey


def authentication_options(request) -> str:
    """The options (JSON) for navigator.credentials.get(): no credentials listed (the browser
    offers the passkeys it holds for this site), user verification required."""
    options = generate_authentication_options(rp_id=rp_id(),
                                              user_verification=UserVerificationRequirement.REQUIRED)
    return _remember(request, "login", options)


def authenticate(request, *, credential, ip: str = "") -> Account:
    """The active account whose passkey answered the challenge (`credential`: the browser's
    answer, as parsed JSON); PasskeyRefused otherwise."""
    state = _spend(request, "login")
    refused = PasskeyRefused(_("无法使用该通行密钥登录"), code="invalid")
    try:
        raw_id = base64url_to_bytes(credential["rawId"])
    except (ValueError, KeyError, TypeError):
        raise refused from None
    passkey = Passkey.objects.select_related("account").filter(credential_id=raw_id).first()
    if passkey is None or not passkey.account.is_active:
        record(Event.PASSKEY_REFUSED, ip=ip, step="login", reason="unknown credential")
        raise refused
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=base64url_to_bytes(state["challenge"]), expected_rp_id=rp_id(),
            expected_origin=origin(), credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        record(Event.PASSKEY_REFUSED, account=passkey.account, ip=ip, step="login", reason=str(exc)[:200])
        raise refused from None
    # Compare-and-set: two answers racing with the same count cannot both pass.
    if not Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
            sign_count=verified.new_sign_count, last_used_at=timezone.now()):
        raise refused
    return passkey.account


def remove(account: Account, pk: int, *, ip: str = "") -> bool:
    passkey = account.passkeys.filter(pk=pk).first()
    if passkey is None:
        return False
    passkey.delete()
    record(Event.PASSKEY_REMOVED, account=account, actor=account, ip=ip, name=passkey.name)
    return True


def ask_for_review(account: Account) -> int:
    """After a recovery: every passkey is listed for the person to confirm or remove."""
    return Passkey.objects.filter(account=account).update(to_review=True)


def reviewed(account: Account) -> None:
    Passkey.objects.filter(account=account, to_review=True).update(to_review=False)
