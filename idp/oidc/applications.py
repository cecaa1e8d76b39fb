"""我的信息 → 已授权的应用: the third-party business systems the person agreed to share their facts
with (their OpenID Connect authorizations still in force), and 撤销授权, which ends every token
the system holds for them. The platform's own systems (first party) never asked, so are not here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from idp.audit.log import record
from idp.audit.models import Event
from idp.core.http import client_ip
from idp.oidc import tokens
from idp.oidc.models import Authorization

# What each scope gives the system, in the words of the consent page.
RECEIVES = {
    "openid": gettext_lazy("您在该系统的用户标识"),
    "profile": gettext_lazy("姓名、用户类型、实名认证状态(法人还有单位名称与统一社会信用代码)"),
}


def consented(account) -> list[dict]:
    """One entry per third-party system: since when, until when last, and what it receives."""
    found: dict[int, dict] = {}
    rows = (Authorization.objects.filter(account=account, revoked_at__isnull=True, client__first_party=False)
            .select_related("client__system").order_by("created_at"))
    for row in rows:
        entry = found.setdefault(row.client_id, {"client_id": row.client.client_id, "name": row.client.system.name,
                                                 "since": row.created_at, "scopes": set()})
        entry["last"] = row.created_at
        entry["scopes"] |= set(row.scope.split())
    return [{**entry, "receives": [RECEIVES[s] for s in ("openid", "profile") if s in entry["scopes"]]}
            for entry in found.values()]


def revoke(account, client_id: str, *, ip: str = "") -> int:
    """End every authorization (and so every refresh and access token) of the system for the person."""
    ended = 0
    for pk in Authorization.objects.filter(account=account, client__client_id=client_id, client__first_party=False,
                                           revoked_at__isnull=True).values_list("pk", flat=True):
        tokens.revoke_family(pk, reason="revoked_by_holder")
        ended += 1
    if ended:
        record(Event.CONSENT_REVOKED, account=account, actor=account, ip=ip, client_id=client_id)
    return ended


@login_required
def applications(request):
    return render(request, "oidc/applications.html", {"section": "profile", "applications": consented(request.user)})


@login_required
@require_POST
def revoke_application(request):
    if revoke(request.user, request.POST.get("client_id", ""), ip=client_ip(request)):
        messages.success(request, _("已撤销授权,该系统不能再读取您的信息;下次进入时会再次征求您的同意"))
    return redirect("applications")
