"""Which account an upstream's person enters — safe by construction: an upstream's word alone
never opens an account here unless the upstream is trusted, the number it asserts is verified,
and the account holding that number is verified here too.

| # | the upstream said                        | and here                                  | outcome                 |
|---|------------------------------------------|-------------------------------------------|-------------------------|
| 1 | a `sub` already linked                   | the linked account is active              | sign in to it           |
| 2 | (trusted upstream) a verified identity   | one real-name verified, active, unlocked  | link, sign in, tell the |
|   | number, or a USCC for a legal person     | account of that kind holds it, not linked | person (next page and   |
|   |                                          | to another `sub` of this upstream         | SMS), audited           |
| 3 | anything else: an untrusted upstream, no | —                                         | the person chooses:     |
|   | number, an unverified number, a number   |                                           | link by typing that     |
|   | held by an account unverified, under     |                                           | account's password, or  |
|   | review, disabled or locked               |                                           | register a new account  |

A new account registered from row 3 is real-name verified at once only when the upstream is
trusted, its number verified, the number typed is the one it asserted and no other account
here is verified with it; otherwise it takes the normal verification."""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from idp.accounts.login import LoginRefused, check_not_locked
from idp.accounts.models import Account, AccountKind, NaturalPerson, Organisation
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import crypto
from idp.core.errors import Refused
from idp.federation.models import FederatedIdentity, IdentityProvider
from idp.identifiers import documents, validators
from idp.notify import tasks as deliveries

log = logging.getLogger(__name__)

LINKED, MATCHED, CHOOSE = "linked", "matched", "choose"
# FederatedIdentity.how
BY_NUMBER, BY_PASSWORD, BY_REGISTRATION = "number", "password", "registration"


class LinkRefused(Refused):
    pass


@dataclass
class Asserted:
    """What the upstream said about the person, read through the provider's claim names.
    `verified`: the number (or USCC) counts as verified here — a trusted upstream vouched for it."""

    provider_id: int
    subject: str
    kind: str
    name: str = ""
    id_type: str = ""
    id_number: str = ""
    uscc: str = ""
    phone: str = ""
    email: str = ""
    verified: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _text(claims: dict, name: str, limit: int = 200) -> str:
    value = claims.get(name) if name else None
    return value.strip()[:limit] if isinstance(value, str) else ""


def read_claims(provider: IdentityProvider, claims: dict, *, kind: str) -> Asserted:
    """The upstream's claims as the platform's fields; a number that is not valid is dropped."""
    asserted = Asserted(provider_id=provider.pk, subject=claims["sub"], kind=kind,
                        name=_text(claims, provider.name_claim, 100), email=_text(claims, "email", 254))
    try:
        asserted.phone = validators.mobile(_text(claims, provider.phone_claim))
    except validators.InvalidIdentifier:
        pass
    if kind == AccountKind.NATURAL and provider.id_number_claim:
        id_type = _text(claims, provider.id_type_claim, 32) or provider.default_id_type
        try:
            asserted.id_number = documents.validate_document(None, id_type, _text(claims, provider.id_number_claim))
            asserted.id_type = id_type
        except validators.InvalidIdentifier:
            pass
    if kind == AccountKind.LEGAL and provider.uscc_claim:
        try:
            asserted.uscc = validators.uscc(_text(claims, provider.uscc_claim))
        except validators.InvalidIdentifier:
            pass
    vouched = provider.trusted and (not provider.verified_claim or claims.get(provider.verified_claim) is True)
    asserted.verified = vouched and bool(asserted.id_number or asserted.uscc)
    return asserted


def _holder(asserted: Asserted) -> Account | None:
    """The account here verified with the asserted number, if it may be linked by it."""
    if asserted.kind == AccountKind.NATURAL and asserted.id_number:
        indexes = crypto.blind_indexes(asserted.id_type, asserted.id_number)
        person = NaturalPerson.objects.filter(verified_id_index__in=indexes).select_related("account").first()
        account = person.account if person else None
    elif asserted.kind == AccountKind.LEGAL and asserted.uscc:
        org = Organisation.objects.filter(uscc=asserted.uscc).select_related("account").first()
        account = org.account if org else None
    else:
        return None
    if account is None or not account.is_active or not account.is_realname_verified or account.kind != asserted.kind:
        return None
    try:
        check_not_locked(login_name=account.login_name, ip="")
    except LoginRefused:
        return None
    if FederatedIdentity.objects.filter(provider_id=asserted.provider_id, account=account).exists():
        return None  # linked to another person of that upstream: not by a number
    return account


def decide(provider: IdentityProvider, asserted: Asserted) -> tuple[str, Account | None]:
    """The decision table above: (LINKED | MATCHED, account) or (CHOOSE, None)."""
    linked = (FederatedIdentity.objects.filter(provider=provider, subject=asserted.subject)
              .select_related("account").first())
    if linked is not None:
        return LINKED, linked.account
    if asserted.verified and (holder := _holder(asserted)) is not None:
        return MATCHED, holder
    return CHOOSE, None


def link(*, provider: IdentityProvider, subject: str, account: Account, how: str, ip: str = "") -> FederatedIdentity:
    """Link the upstream's person to the account (once: the constraints refuse a second link of
    either side), in the audit log."""
    try:
        with transaction.atomic():
            identity = FederatedIdentity.objects.create(provider=provider, subject=subject, account=account, how=how)
    except IntegrityError:
        raise LinkRefused(_("该外部账号或本平台账号已与 %(name)s 关联") % {"name": provider.name},
                          code="already_linked") from None
    record(Event.FEDERATION_LINKED, account=account, actor=account, ip=ip, provider=provider.code, how=how)
    return identity


def tell_of_link(account: Account, provider: IdentityProvider) -> None:
    """The SMS after a link the person did not ask for in words (row 2)."""
    if not account.phone:
        return
    with translation.override(account.language):
        text = _("您的账号 %(login_name)s 已于 %(time)s 与 %(name)s 关联,今后可使用%(name)s登录。如非本人操作,"
                 "请立即修改密码,并在“我的信息”中解除关联。") % {
            "login_name": account.login_name, "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "name": provider.name}
    transaction.on_commit(lambda: deliveries.queue(to=account.phone, purpose="federation_linked", text=text))


def touch(provider: IdentityProvider, subject: str) -> None:
    """The link was used to sign in (我的信息 shows when)."""
    FederatedIdentity.objects.filter(provider=provider, subject=subject).update(last_login_at=timezone.now())


def links_of(account: Account) -> list[FederatedIdentity]:
    return list(FederatedIdentity.objects.filter(account=account).select_related("provider").order_by("created_at"))


def unlink(*, account: Account, identity_id: int, ip: str = "") -> None:
    """解除关联 — refused when it would leave the account with no way to sign in."""
    identity = FederatedIdentity.objects.filter(pk=identity_id, account=account).select_related("provider").first()
    if identity is None:
        raise LinkRefused(_("该关联不存在或已解除"), code="missing")
    others = FederatedIdentity.objects.filter(account=account).exclude(pk=identity.pk).exists()
    if not (account.has_usable_password() or account.passkeys.exists() or others):
        raise LinkRefused(_("解除后该账号将无法登录,请先设置登录密码"), code="last_way")
    identity.delete()
    record(Event.FEDERATION_UNLINKED, account=account, actor=account, ip=ip, provider=identity.provider.code)
