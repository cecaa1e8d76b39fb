"""Entering a business system from a service item (办理入口, SPEC 6).

entry_decision() says whether the account may enter and as whom, or exactly what to do
first; enter() records the visit. The view then sends the user to the business system's
address, where single sign-on takes over without asking again whom they act for.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from idp.accounts.models import LOGIN_WINDOWS, USER_KIND_LABELS, Account, AccountKind
from idp.audit.log import record
from idp.audit.models import Event
from idp.catalogue.models import Follow, ServiceItem, SystemVisit
from idp.delegation.policy import Refusal, explain, who_may_enter
from idp.delegation.selectors import systems_with_grants

KIND_LABELS = USER_KIND_LABELS


@dataclass
class EntryDecision:
    """Either `identities` (None = oneself, or organisations to act for) or a next step."""

    identities: list = field(default_factory=list)
    message: str = ""
    action_label: str = ""
    action_url: str = ""
    other_action_label: str = ""  # a second way in, e.g. the other login window
    other_action_url: str = ""

    @property
    def allowed(self) -> bool:
        return bool(self.identities)


def _login_url(kind: str, item: ServiceItem) -> str:
    return f"{reverse('login')}?{urlencode({'tab': kind, 'next': reverse('service-enter', args=[item.pk])})}"


def entry_decision(*, account: Account | None, item: ServiceItem) -> EntryDecision:
    """The one policy (delegation.policy.who_may_enter) through this item, worded for 办理入口."""
    system, kind = item.system, item.user_kind
    if account is None or not account.is_authenticated:
        if kind == AccountKind.LEGAL and system.delegable:  # a person the unit authorised comes in too
            return EntryDecision(
                message=_("办理该事项需要登录。单位请使用法人账号在“法人登录”窗口登录;经单位授权代办的个人,"
                        "请使用本人账号在“自然人登录”窗口登录,进入时选择代哪家单位办理"
                        "(授权由单位在“用户授权管理”中设置)。"),
                action_label=_("前往法人登录"), action_url=_login_url(AccountKind.LEGAL, item),
                other_action_label=_("代单位办理:前往自然人登录"),
                other_action_url=_login_url(AccountKind.NATURAL, item))
        return EntryDecision(message=_("办理该事项需要登录,请在“%(window)s”窗口登录后再进入。")
                             % {"window": LOGIN_WINDOWS[kind]},
                             action_label=_("前往%(window)s") % {"window": LOGIN_WINDOWS[kind]},
                             action_url=_login_url(kind, item))
    entry = who_may_enter(account, system, item_kind=kind)
    if entry.refusal is None:
        return EntryDecision(identities=list(entry.identities))
    message = explain(entry.refusal, account=account, system=system, item_kind=kind)
    if entry.refusal is Refusal.WRONG_KIND:
        return EntryDecision(message=message, action_label=_("退出并前往%(window)s") % {"window": LOGIN_WINDOWS[kind]},
                             action_url=_login_url(kind, item))
    if entry.refusal is Refusal.NEEDS_REALNAME:
        return EntryDecision(message=message, action_label=_("前往我的信息完成实名认证"), action_url=reverse("profile"))
    return EntryDecision(message=message)


def enter(*, account: Account, item: ServiceItem, acting_for: Account | None, ip: str = "") -> SystemVisit:
    """Record that `account` entered the item's business system (我的事项), as itself or for
    `acting_for`, which must be one of entry_decision()'s identities."""
    now = timezone.now()
    with transaction.atomic():
        visit, created = SystemVisit.objects.get_or_create(
            account=account, system=item.system,
            defaults={"item": item, "acting_for": acting_for, "last_entered_at": now})
        if not created:
            SystemVisit.objects.filter(pk=visit.pk).update(item=item, acting_for=acting_for,
                                                           last_entered_at=now, times=F("times") + 1)
        record(Event.SYSTEM_ENTERED, account=account, actor=account, ip=ip, system=item.system.code,
               item=item.pk, acting_for=acting_for.login_name if acting_for else "")
    return visit


def set_follow(*, account: Account, item: ServiceItem, follow: bool) -> None:
    if follow:
        Follow.objects.get_or_create(account=account, item=item)
    else:
        Follow.objects.filter(account=account, item=item).delete()


def catalogue(*, kind: str, query: str = "") -> QuerySet[ServiceItem]:
    items = (ServiceItem.objects.filter(is_active=True, system__is_active=True, user_kind=kind)
             .select_related("system"))
    if query:
        items = items.filter(Q(name__icontains=query) | Q(system__name__icontains=query))
    return items


def items_for(account: Account) -> QuerySet[ServiceItem]:
    """我要办理: the items this account may enter — its own kind's, and for a natural person
    the organisation items of systems in which an organisation authorised them."""
    items = ServiceItem.objects.filter(is_active=True, system__is_active=True).select_related("system")
    own = Q(user_kind=account.kind) & Q(**{"system__allow_natural" if account.is_natural
                                          else "system__allow_legal": True})
    if account.is_natural:
        own |= Q(user_kind=AccountKind.LEGAL, system_id__in=systems_with_grants(account))
    return items.filter(own)
