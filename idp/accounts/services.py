"""Use cases that change accounts: registration, profile edits, password change.

Each is a keyword-only function running in one transaction; views, the console, the
migration and tests all call these.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.accounts import signals
from idp.accounts.models import (
    Account,
    AccountKind,
    NaturalPerson,
    Organisation,
    OrganisationChange,
    set_document,
)
from idp.audit.log import record
from idp.audit.models import Event
from idp.identifiers.masking import mask_id_number, mask_phone
from idp.notify import otp

# Saving any of these runs the automatic real-name check again (SPEC 3).
IDENTITY_FIELDS = {
    AccountKind.NATURAL: {"name", "identity_type", "id_type", "id_number"},
    AccountKind.LEGAL: {"name", "uscc", "region_type", "lr_name"},
}


class Conflict(Exception):
    """A unique value is already held by another account; `field` names the form field."""

    field = ""
    message = ""


class LoginNameTaken(Conflict):
    field = "login_name"
    message = gettext_lazy("该登录名已注册,请更换登录名")


class UsccTaken(Conflict):
    field = "uscc"
    message = gettext_lazy("该统一社会信用代码已注册法人账号,如账号被他人占用请通过法人申诉找回")


def _create_account(*, login_name: str, password: str, kind: str, phone: str, code_id: int) -> Account:
    """Spend the SMS code and create the account, in the caller's transaction."""
    otp.consume_code(code_id)
    account = Account(login_name=login_name, kind=kind, phone=phone)
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
        set_document(person, "", identity_type=identity_type, id_type=id_type, id_number=id_number)
        person.save()
        record(Event.REGISTERED, account=account, actor=account, ip=ip)
        signals.registered.send(sender=Account, account=account, ip=ip)
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
            agent_name=data["agent_name"],
        )
        for prefix in ("lr_", "agent_"):
            set_document(org, prefix, identity_type=data[f"{prefix}identity_type"],
                         id_type=data[f"{prefix}id_type"], id_number=data[f"{prefix}id_number"])
            setattr(org, f"{prefix}id_valid_from", data.get(f"{prefix}id_valid_from"))
            setattr(org, f"{prefix}id_valid_to", data.get(f"{prefix}id_valid_to"))
            setattr(org, f"{prefix}id_long_term", bool(data.get(f"{prefix}id_long_term")))
        try:
            with transaction.atomic():
                org.save()
        except IntegrityError:
            raise UsccTaken() from None
        record(Event.REGISTERED, account=account, actor=account, ip=ip)
        signals.registered.send(sender=Account, account=account, ip=ip)
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


def change_entry(field: str, label: str, old, new) -> dict:
    """One line of 信息更新记录: {"field", "label", "old", "new"} with numbers masked."""
    return {"field": field, "label": label, "old": _display(field, old), "new": _display(field, new)}


def update_profile(*, account: Account, profile, email: str, documents: tuple[str, ...],
                   actor: Account, ip: str = "") -> list[str]:
    """Save an edited NaturalPerson or Organisation (fields already set by its form).

    Recomputes the blind indexes, records the change (信息更新记录 for organisations, the
    audit log for both) and, when identity data changed, runs real-name verification again.
    Returns the names of the changed fields.
    """
    for prefix in documents:
        set_document(
            profile, prefix,
            identity_type=getattr(profile, f"{prefix}identity_type"),
            id_type=getattr(profile, f"{prefix}id_type"),
            id_number=getattr(profile, f"{prefix}id_number"),
        )
    before = type(profile).objects.get(pk=profile.pk)
    changes = [
        change_entry(field.name, str(field.verbose_name), getattr(before, field.name), getattr(profile, field.name))
        for field in profile._meta.concrete_fields
        if not field.name.endswith("_index") and field.name != "verified_id_index"
        and getattr(before, field.name) != getattr(profile, field.name)
    ]
    if account.email != email:
        changes.append(change_entry("email", _("电子邮箱"), account.email, email))
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
        signals.identity_changed.send(sender=Account, account=account, actor=actor, ip=ip)
    return changed


def change_password(*, account: Account, new_password: str, ip: str = "") -> None:
    """Set a new password. Django's session hash check then ends the account's other sessions."""
    with transaction.atomic():
        account.set_password(new_password)
        account.save(update_fields=["password"])
        record(Event.PASSWORD_CHANGED, account=account, actor=account, ip=ip)
