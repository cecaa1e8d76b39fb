"""Use cases that change accounts: registration, profile edits, logging in and out, password
change, disabling an account.

Each is a keyword-only function running in one transaction; views, the console, the
migration and tests all call these. What higher layers must do in consequence (single
sign-on, real-name verification) they do on the events published here (accounts/events.py).
"""

import re
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.accounts import devices, mfa, passwords, timeouts
from idp.accounts import events as account_events
from idp.accounts.models import (
    AGENT_DOCUMENT,
    LR_DOCUMENT,
    OWN_DOCUMENT,
    PASSING_STATUSES,
    Account,
    AccountKind,
    DocumentFields,
    NaturalPerson,
    Organisation,
    OrganisationChange,
    Passkey,
    set_document,
)
from idp.audit.log import record
from idp.audit.models import AuditEntry, Event
from idp.core import events, ratelimit
from idp.core.errors import Refused
from idp.core.http import client_ip
from idp.core.i18n import source_language
from idp.core.useragent import describe
from idp.identifiers.masking import mask_id_number, mask_phone
from idp.notify import otp
from idp.notify import tasks as deliveries

# Saving any of these runs the automatic real-name check again (SPEC 3).
IDENTITY_FIELDS = {
    AccountKind.NATURAL: {"name", "identity_type", "id_type", "id_number"},
    AccountKind.LEGAL: {"name", "uscc", "region_type", "lr_name"},
}


class Conflict(Refused):
    """A unique value is already held by another account."""


class LoginNameTaken(Conflict):
    def __init__(self):
        super().__init__(_("该登录名已注册,请更换登录名"), "login_name", code="login_name_taken")


class UsccTaken(Conflict):
    def __init__(self):
        super().__init__(_("该统一社会信用代码已注册法人账号,如账号被他人占用请通过法人申诉找回"), "uscc",
                         code="uscc_taken")


def _create_account(*, login_name: str, password: str, kind: str, phone: str, code_id: int) -> Account:
    """Spend the SMS code and create the account, in the caller's transaction."""
    otp.consume_code(code_id)
    account = Account(login_name=login_name, kind=kind, phone=phone, language=_page_language())
    account.set_password(password)
    try:
        with transaction.atomic():  # savepoint: the IntegrityError must not poison the outer one
            account.save()
    except IntegrityError:
        raise LoginNameTaken() from None
    return account


def register_natural_person(*, login_name: str, password: str, name: str, identity_type: str,
                            id_type: str, id_number: str, phone: str, code_id: int,
                            ip: str = "") -> Account:
    """自然人注册 (SPEC 2.1), then (queued) the automatic real-name check. Registration is allowed even
    when another account holds the same document: only verification is limited to one."""
    with transaction.atomic():
        account = _create_account(login_name=login_name, password=password,
                                  kind=AccountKind.NATURAL, phone=phone, code_id=code_id)
        person = NaturalPerson(account=account, name=name)
        set_document(person, OWN_DOCUMENT, identity_type=identity_type, id_type=id_type, id_number=id_number)
        person.save()
        record(Event.REGISTERED, account=account, actor=account, ip=ip)
        events.publish(account_events.Registered(account=account, ip=ip))
    return account


def register_organisation(*, data: dict, code_id: int, ip: str = "") -> Account:
    """单位用户(法人)注册 (SPEC 2.2). `data` is a valid LegalRegistrationForm's cleaned_data;
    the main agent's mobile becomes the account's reserved phone."""
    with transaction.atomic():
        account = _create_account(login_name=data["login_name"], password=data["password"],
                                  kind=AccountKind.LEGAL, phone=data["agent_mobile"],
                                  code_id=code_id)
        org = Organisation(
            account=account,
            name=data["org_name"],
            region_type=data["region_type"],
            legal_type=data["legal_type"],
            uscc=data.get("uscc") or None,
            registration_number=data.get("registration_number", ""),
            lr_name=data["lr_name"],
            lr_mobile=data["lr_mobile"],
            lr_id_valid_from=data.get("lr_id_valid_from"),
            lr_id_valid_to=data.get("lr_id_valid_to"),
            lr_id_long_term=bool(data.get("lr_id_long_term")),
            agent_name=data["agent_name"],
            agent_id_valid_from=data.get("agent_id_valid_from"),
            agent_id_valid_to=data.get("agent_id_valid_to"),
            agent_id_long_term=bool(data.get("agent_id_long_term")),
        )
        for document in (LR_DOCUMENT, AGENT_DOCUMENT):
            set_document(org, document, identity_type=data[document.identity_type], id_type=data[document.id_type],
                         id_number=data[document.id_number])
        try:
            with transaction.atomic():
                org.save()
        except IntegrityError:
            raise UsccTaken() from None
        record(Event.REGISTERED, account=account, actor=account, ip=ip)
        events.publish(account_events.Registered(account=account, ip=ip))
    return account


def _display(field: str, value) -> str:
    """A value as the change history shows it: identity numbers and phones masked."""
    if value in (None, ""):
        return ""
    if field.endswith("id_number"):
        return mask_id_number(value)
    if field.endswith(("mobile", "phone")):
        return mask_phone(value)
    return str(value)


def change_entry(field: str, label, old, new) -> dict:
    """One line of 信息更新记录: {"field", "label", "old", "new"} with numbers masked; the label kept
    in the source language and shown in the reader's (core/i18n.py)."""
    with source_language():
        label = str(label)
    return {"field": field, "label": label, "old": _display(field, old), "new": _display(field, new)}


def update_profile(*, account: Account, profile, email: str, documents: tuple[DocumentFields, ...],
                   actor: Account, ip: str = "") -> list[str]:
    """Save an edited NaturalPerson or Organisation (fields already set by its form).

    Recomputes the blind indexes, records the change (信息更新记录 for organisations, the
    audit log for both) and, when identity data changed, runs real-name verification again.
    Returns the names of the changed fields.
    """
    for document in documents:  # the blind indexes follow the numbers
        set_document(profile, document, identity_type=getattr(profile, document.identity_type),
                     id_type=getattr(profile, document.id_type), id_number=getattr(profile, document.id_number))
    before = type(profile).objects.get(pk=profile.pk)
    changes = [
        change_entry(field.name, field.verbose_name, getattr(before, field.name), getattr(profile, field.name))
        for field in profile._meta.concrete_fields
        if not field.name.endswith("_index") and field.name != "verified_id_index"
        and getattr(before, field.name) != getattr(profile, field.name)
    ]
    if account.email != email:
        changes.append(change_entry("email", gettext_lazy("电子邮箱"), account.email, email))
    changed = [change["field"] for change in changes]
    with transaction.atomic():
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError:
            raise UsccTaken() from None
        if account.email != email:
            account.email = email
            account.save(update_fields=["email"])
        if changes:
            if account.is_legal:
                OrganisationChange.objects.create(organisation=profile, actor=actor, changes=changes)
            record(Event.PROFILE_UPDATED, account=account, actor=actor, ip=ip, fields=changed)
    if IDENTITY_FIELDS[account.kind] & set(changed):
        events.publish(account_events.IdentityChanged(account=account, actor=actor, ip=ip))
    return changed


def change_password(*, request, account: Account, new_password: str, ip: str = "") -> None:
    """The holder sets a new password in `request`'s session, which stays signed in; Django's
    session hash check ends the account's other platform sessions, and single sign-on its
    other SSO sessions (PasswordChanged)."""
    with transaction.atomic():
        account.set_new_password(new_password)
        account.save(update_fields=["password", "password_changed_at"])
        update_session_auth_hash(request, account)
        record(Event.PASSWORD_CHANGED, account=account, actor=account, ip=ip)
        events.publish(account_events.PasswordChanged(request=request, account=account))


def _page_language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


def remember_language(account: Account, language: str) -> None:
    """The language messages to the account are written in: the one they last used here."""
    if language in dict(settings.LANGUAGES) and account.language != language:
        account.language = language
        Account.objects.filter(pk=account.pk).update(language=language)


LOGIN_METHODS_KEY = "login_methods"  # how this session's login was proven: RFC 8176 amr values
LOGIN_AUTHORITY_KEY = "login_authority"  # the upstream provider (its issuer) that proved it, if one did


def log_in(request, account: Account, *, backend: str | None = None, methods=("pwd",)) -> None:
    """Begin the platform session of an account whose factors all passed (the login views).
    `methods`: how (RFC 8176): ("pwd",), ("pwd", "otp") with an authenticator app, ("hwk", "user")
    with a passkey."""
    new_device = devices.trusted_device(request, account.login_name) is None  # read before the login sets it
    login(request, account, backend=backend)
    request.session[LOGIN_METHODS_KEY] = list(methods)
    request.session[timeouts.LOGIN_AT_KEY] = request.session[timeouts.SEEN_AT_KEY] = time.time()
    request.session.pop(LOGIN_AUTHORITY_KEY, None)  # set again by the LoggedIn subscriber of an upstream login
    if new_device:
        tell_of_new_device(request, account)
    remember_language(account, _page_language())
    events.publish(account_events.LoggedIn(request=request, account=account))


def log_out(request, *, ip: str = "", via: str = "") -> None:
    """End the platform session — and with it the SSO session (LoggingOut). `via`: the protocol
    whose logout asked for it, for the audit log."""
    if request.user.is_authenticated:
        detail = {"via": via} if via else {}
        record(Event.LOGOUT, account=request.user, actor=request.user, ip=ip, **detail)
        events.publish(account_events.LoggingOut(request=request, account=request.user))
    logout(request)


def set_active(*, account: Account, active: bool, actor: Account | None, ip: str = "", reason: str = "") -> None:
    """An operator enables or disables an account (系统管理); a disabled one is signed out of
    everything at once (AccountDisabled). `actor` None: the platform itself (`reason` says why)."""
    if account.is_active == active:
        return
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(is_active=active)
        account.is_active = active
        detail = {"reason": reason} if reason else {}
        record(Event.ACCOUNT_ENABLED if active else Event.ACCOUNT_DISABLED, account=account, actor=actor, ip=ip,
               **detail)
        if not active:
            events.publish(account_events.AccountDisabled(account=account))


# --- accounts kept by operators' tools (the SCIM service, api/scim.py) -----------------------------

OPERATOR_LOGIN_NAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")


def create_by_operator(*, login_name: str, name: str, password: str | None, via: str, ip: str = "") -> Account:
    """A natural person's account made by an operator's tool. Its login name follows the rule of
    the accounts taken over from 火炬中心 (unique in any case, 1–64 characters, no spaces) rather
    than the self-registration form's; it holds no identity document or phone, so it is 用户信息不全
    and unverified until its holder completes 我的信息. Without a password it cannot log in until a
    password is set (by the tool, or recovery)."""
    if not OPERATOR_LOGIN_NAME.fullmatch(login_name or ""):
        raise Refused(_("登录名须为 1–64 个字符,不含空白"), "login_name", code="invalid_login_name")
    check_person_name(name)
    account = Account(login_name=login_name, kind=AccountKind.NATURAL, phone="", language=settings.LANGUAGE_CODE)
    if password is None:
        account.set_unusable_password()
    else:
        check_password_rules(password, account, name)
        account.set_password(password)
    with transaction.atomic():
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:
            raise LoginNameTaken() from None
        NaturalPerson.objects.create(account=account, name=name)
        record(Event.REGISTERED, account=account, actor=None, ip=ip, via=via)
    return account


def check_person_name(name: str) -> None:
    if len(name) > NaturalPerson._meta.get_field("name").max_length:
        raise Refused(_("姓名过长"), "name", code="name_too_long")


def check_password_rules(password: str, account: Account, name: str = "") -> None:
    """The password rule of the pages (passwords.py), as a refusal naming the field."""
    try:
        passwords.check_password_rule(password, personal=(account.login_name, name, account.phone, account.email))
    except ValidationError as exc:
        raise Refused(" ".join(exc.messages), "password", code=exc.code or "weak_password") from None


def set_password_by_operator(*, account: Account, password: str, via: str, ip: str = "") -> None:
    """An operator's tool sets a password: the account's sessions everywhere end, as after a reset."""
    person = getattr(account, "person", None)
    check_password_rules(password, account, person.name if person else "")
    with transaction.atomic():
        account.set_new_password(password)
        account.save(update_fields=["password", "password_changed_at"])
        record(Event.PASSWORD_CHANGED, account=account, actor=None, ip=ip, via=via)
        events.publish(account_events.CredentialsReset(account=account))


def delete_unused(*, account: Account, via: str, ip: str = "") -> None:
    """Remove an account an operator's tool made by mistake. Only one nobody has used — never signed
    in, never verified — may go; any other is disabled instead (its history stays)."""
    if account.last_login is not None or account.realname_status in PASSING_STATUSES or account.is_staff:
        raise Conflict(_("账号已使用过,只能停用,不能删除"), "account", code="account_in_use")
    with transaction.atomic():
        record(Event.ACCOUNT_DELETED, account=None, actor=None, ip=ip, via=via, login_name=account.login_name)
        account.delete()


def reset_second_factor(*, account: Account, actor: Account | None, ip: str = "", via: str = "") -> None:
    """An operator removes a person's second factors — the authenticator app, its recovery codes and
    the passkeys — for one who lost them; they sign in with the password and enrol again."""
    with transaction.atomic():
        mfa.remove(account)
        removed = Passkey.objects.filter(account=account).delete()[0]
        record(Event.MFA_REMOVED, account=account, actor=actor, ip=ip, via=via, passkeys=removed)


def dormant(days: int):
    """Active accounts with no login for `days` days (none at all: registered that long ago)."""
    since = timezone.now() - timedelta(days=days)
    return Account.objects.filter(is_active=True).filter(
        Q(last_login__lt=since) | Q(last_login__isnull=True, date_joined__lt=since))


def disable_dormant_staff() -> int:
    """等保 2.0 (8.1.4.2): a staff account unused for IDP_STAFF_DORMANT_DAYS is disabled (an
    operator enables it again in 系统管理). Daily (AccountsConfig). Returns how many."""
    stale = list(dormant(settings.IDP_STAFF_DORMANT_DAYS).filter(is_staff=True))
    for account in stale:
        set_active(account=account, active=False, actor=None, reason="dormant")
    return len(stale)


def set_staff(*, account: Account, staff: bool, superuser: bool, actor: Account, ip: str = "") -> None:
    """An operator gives or takes the console's rights (系统管理), in the audit log."""
    if (account.is_staff, account.is_superuser) == (staff, superuser):
        return
    with transaction.atomic():
        Account.objects.filter(pk=account.pk).update(is_staff=staff, is_superuser=superuser)
        account.is_staff, account.is_superuser = staff, superuser
        record(Event.STAFF_CHANGED, account=account, actor=actor, ip=ip, staff=staff, superuser=superuser)


# --- 登录记录 ---

LOGINS_KEPT_DAYS = 180
LOGIN_EVENTS = (Event.LOGIN, Event.LOGIN_FAILED, Event.LOGIN_LOCKED)
LOGIN_METHODS = {"password": gettext_lazy("密码"), "totp": gettext_lazy("两步验证码"),
                 "passkey": gettext_lazy("通行密钥")}


def login_history(account: Account, *, limit: int = 500) -> list[dict]:
    """The sign-ins and refused attempts at this account, newest first: those naming the account,
    and those that typed its login name in any case (a wrong password names no account in the log)."""
    since = timezone.now() - timedelta(days=LOGINS_KEPT_DAYS)
    typed = Q(account__isnull=True, login_name__lower=account.login_name.lower())
    entries = (AuditEntry.objects.filter(Q(account=account) | typed, event__in=LOGIN_EVENTS, at__gte=since)
               .order_by("-at")[:limit])
    return [{"at": e.at, "ip": e.ip, "device": describe(e.detail.get("agent", "")) if e.detail.get("agent") else "",
             "method": LOGIN_METHODS.get(e.detail.get("method", "password"), e.detail.get("method")),
             "succeeded": e.event == Event.LOGIN,
             "what": e.get_event_display()} for e in entries]


def previous_login(account: Account) -> AuditEntry | None:
    """上次登录: the sign-in before this one."""
    return AuditEntry.objects.filter(account=account, event=Event.LOGIN).order_by("-at")[1:2].first()


def login_methods(request) -> list[str]:
    """How this session's login was proven (the ID token's amr); a session from before: a password."""
    return request.session.get(LOGIN_METHODS_KEY) or ["pwd"]


def login_authority(request) -> str:
    """The issuer of the upstream provider this session's login came through ("" if none): a SAML
    assertion names it as its AuthenticatingAuthority."""
    return request.session.get(LOGIN_AUTHORITY_KEY, "")


NEW_DEVICE_NOTICES_PER_HOUR = 3


def tell_of_new_device(request, account: Account) -> None:
    """A login from a browser the account has not logged in from before: an SMS afterwards, in
    the holder's language, saying when, from where and what to do if it was not them (a few an
    hour at most: a person trying several browsers is not flooded)."""
    if not account.phone or ratelimit.hit("new-device", str(account.pk), window=3600) > NEW_DEVICE_NOTICES_PER_HOUR:
        return
    with translation.override(account.language):
        text = _("您的账号 %(login_name)s 于 %(time)s 在新设备(%(device)s,地址 %(ip)s)上登录。如非本人操作,"
                 "请立即修改密码,并在“我的信息 → 登录设备”中退出该设备。") % {
            "login_name": account.login_name, "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "device": describe(request.META.get("HTTP_USER_AGENT", "")), "ip": client_ip(request)}
    transaction.on_commit(lambda: deliveries.queue(to=account.phone, purpose="new_device", text=text))
