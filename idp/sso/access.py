"""Who may sign on to a business system, and as whom (SPEC 4, 6), worded for the sign-on step.

Shared by the OIDC authorize step and CAS login. The rule itself is delegation.policy's, the
same one 办理入口 uses; unverified accounts are sent to 我的信息.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from idp.accounts.models import LOGIN_WINDOWS, Account, AccountKind
from idp.catalogue.models import BusinessSystem
from idp.delegation.policy import Refusal, explain, who_may_enter

PRESELECT_KEY = "sso_acting_for"  # {system code: "self" | organisation pk}, set by 办理入口
NOT_HINTED = object()  # the business system named no identity (else: None = oneself, or an organisation)


@dataclass
class Access:
    identities: list = field(default_factory=list)  # None = oneself, or organisation accounts
    message: str = ""
    action_label: str = ""
    action_url: str = ""
    needs_realname: bool = False

    @property
    def allowed(self) -> bool:
        return bool(self.identities)


def login_tab(system: BusinessSystem) -> str:
    """The login window to offer first: natural persons also enter organisation systems by grant."""
    return AccountKind.NATURAL if system.allow_natural or system.delegable else AccountKind.LEGAL


def decide(account: Account, system: BusinessSystem) -> Access:
    """The one policy (delegation.policy.who_may_enter), worded for the sign-on step."""
    entry = who_may_enter(account, system)
    if entry.refusal is None:
        return Access(identities=list(entry.identities))
    message = explain(entry.refusal, account=account, system=system)
    if entry.refusal is Refusal.WRONG_KIND:
        other = AccountKind.LEGAL if account.is_natural else AccountKind.NATURAL
        return Access(message=message, action_label=_("退出并前往%(window)s") % {"window": LOGIN_WINDOWS[other]},
                      action_url=f"{reverse('login')}?{urlencode({'tab': other})}")
    return Access(message=message, needs_realname=entry.refusal is Refusal.NEEDS_REALNAME)


def preselect(request, system: BusinessSystem, acting_for: Account | None) -> None:
    """办理入口 already asked whom the user acts for: the sign-on step will not ask again."""
    chosen = request.session.get(PRESELECT_KEY, {})
    chosen[system.code] = "self" if acting_for is None else str(acting_for.pk)
    request.session[PRESELECT_KEY] = chosen


def chosen_identity(request, system: BusinessSystem, access: Access, *, hinted=NOT_HINTED):
    """(True, identity) when the user chose (now, by form, or before, at 办理入口) or the business
    system named one of the user's identities (`hinted`); else (False, None). Someone who may only
    act as themselves is not asked."""
    options = {("self" if who is None else str(who.pk)): who for who in access.identities}
    if hinted is not NOT_HINTED:
        key = "self" if hinted is None else str(hinted.pk)
        return (True, options[key]) if key in options else (False, None)
    if list(options) == ["self"]:
        return True, None
    posted = request.POST.get("acting_for") if request.method == "POST" else None
    earlier = request.session.get(PRESELECT_KEY, {}).pop(system.code, None)
    if earlier is not None:
        request.session.modified = True
    for choice in (posted, earlier):
        if choice in options:
            return True, options[choice]
    return False, None
