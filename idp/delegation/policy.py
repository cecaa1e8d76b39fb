"""Who may enter a business system, and as whom — the one rule behind both doors: a service
item's 办理入口 and single sign-on (OIDC authorize, CAS login, and every refresh of a token
family). The callers only word the answer.

1. Oneself, if the system admits the account's kind (and, through a service item, the item
   serves that kind).
2. A natural person also acts for each organisation that granted them the system, if the
   system is delegable.
3. If the system needs real-name verification, the account itself must be verified, and only
   verified organisations remain: an unverified organisation cannot lend its name, and a
   grant stops working the moment its organisation loses its verification.
"""

import enum
from dataclasses import dataclass

from django.utils.translation import gettext as _

from idp.accounts.models import LOGIN_WINDOWS, PASSING_STATUSES, USER_KIND_LABELS, Account, AccountKind
from idp.delegation.selectors import organisations_for


class Refusal(enum.Enum):
    WRONG_KIND = "wrong_kind"  # neither as oneself nor for an organisation
    NEEDS_REALNAME = "needs_realname"  # the account itself is not verified
    ORGANISATIONS_UNVERIFIED = "organisations_unverified"  # only unverified organisations to act for


@dataclass(frozen=True)
class Entry:
    identities: tuple = ()  # None for oneself, or the organisation accounts to act for
    refusal: Refusal | None = None


def who_may_enter(account: Account, system, *, item_kind: str | None = None) -> Entry:
    """`item_kind`: the user kind of the service item entered through (办理入口); None at sign-on."""
    identities: list = []
    if system.admits(account.kind) and item_kind in (None, account.kind):
        identities.append(None)
    if account.kind == AccountKind.NATURAL and system.delegable:
        identities += organisations_for(person=account, system=system)
    if not identities:
        return Entry(refusal=Refusal.WRONG_KIND)
    if system.requires_realname:
        if not account.is_realname_verified:
            return Entry(refusal=Refusal.NEEDS_REALNAME)
        identities = [who for who in identities if who is None or who.is_realname_verified]
        if not identities:
            return Entry(refusal=Refusal.ORGANISATIONS_UNVERIFIED)
    return Entry(identities=tuple(identities))


def explain(refusal: Refusal, *, account: Account, system, item_kind: str | None = None) -> str:
    """The one wording of each refusal, for both doors (办理入口 adds its item's kind)."""
    if refusal is Refusal.WRONG_KIND:
        kind = item_kind or (AccountKind.LEGAL if account.is_natural else AccountKind.NATURAL)
        words = {"system": system.name, "kind": AccountKind(kind).label, "window": LOGIN_WINDOWS[kind],
                 "serves": USER_KIND_LABELS[kind],
                 "hint": _("如需代单位办理,请单位管理员在“用户授权管理”中为您授权该业务系统。")
                 if account.is_natural and kind == AccountKind.LEGAL and system.delegable else ""}
        if item_kind:
            return _("该事项面向%(serves)s,当前账号不能办理。%(hint)s"
                     "请退出后使用%(kind)s账号在“%(window)s”窗口登录。") % words
        return _("当前账号不能进入“%(system)s”。%(hint)s请退出后使用%(kind)s账号在“%(window)s”窗口登录。") % words
    if refusal is Refusal.NEEDS_REALNAME:
        return (_("进入“%(system)s”需要先完成实名认证,当前状态:%(status)s。请在“我的信息”中完成实名认证后再进入。")
                % {"system": system.name, "status": account.get_realname_status_display()})
    return (_("授权您办理“%(system)s”的单位尚未完成实名认证,暂不能代其办理。请单位在“我的信息”中完成实名认证后再试。")
            % {"system": system.name})


def _verified(who) -> bool:
    return who.realname_status in PASSING_STATUSES  # an Account or a claims Party


def may_continue(*, account, acting_for, system) -> bool:
    """Whether a token family may go on (checked at every refresh): the same rule as
    who_may_enter, for the identity the family was issued to. `account` and `acting_for` are
    Accounts or claims Parties (pk, kind, is_active, realname_status)."""
    if not account.is_active or (system.requires_realname and not _verified(account)):
        return False
    if acting_for is None:
        return system.admits(account.kind)
    if not (acting_for.is_active and system.delegable and account.kind == AccountKind.NATURAL):
        return False
    if system.requires_realname and not _verified(acting_for):
        return False
    return organisations_for(person=account.pk, system=system).filter(pk=acting_for.pk).exists()
