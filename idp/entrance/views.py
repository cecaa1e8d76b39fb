from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idp.accounts import services as account_services
from idp.accounts.models import AccountKind
from idp.catalogue.models import Follow, ServiceItem, SystemVisit
from idp.core import ratelimit
from idp.core.http import client_ip, local_next
from idp.entrance import services
from idp.sso import access


def _item(pk) -> ServiceItem:
    return get_object_or_404(ServiceItem.objects.select_related("system"), pk=pk, is_active=True,
                             system__is_active=True)


def catalogue(request):
    """服务事项 → 按用户 → 自然人 / 法人单位, with search by name."""
    kind = request.GET.get("kind")
    if kind not in AccountKind.values:
        kind = request.user.kind if request.user.is_authenticated else AccountKind.LEGAL
    query = request.GET.get("q", "").strip()[:100]
    status = 200
    if query and not ratelimit.search_allowed(request):
        messages.error(request, _("搜索过于频繁,请稍后再试"))
        query, status = "", 429
    followed = set()
    if request.user.is_authenticated:
        followed = set(Follow.objects.filter(account=request.user).values_list("item_id", flat=True))
    return render(request, "entrance/catalogue.html", {
        "kind": kind, "query": query, "items": services.catalogue(kind=kind, query=query),
        "followed": followed, "kinds": services.KIND_LABELS,
    }, status=status)


def item_detail(request, pk):
    item = _item(pk)
    followed = (request.user.is_authenticated
                and Follow.objects.filter(account=request.user, item=item).exists())
    return render(request, "entrance/item.html", {"item": item, "followed": followed,
                                                 "kind_label": services.KIND_LABELS[item.user_kind]})


def enter(request, pk):
    """办理入口: says what to do first, or asks whom the user acts for, then enters."""
    item = _item(pk)
    decision = services.entry_decision(account=request.user, item=item)
    if request.method == "POST" and decision.allowed:
        choice = request.POST.get("acting_for", "self")
        identities = {("self" if who is None else str(who.pk)): who for who in decision.identities}
        if choice in identities:
            acting_for = identities[choice]
            if not item.system.entrance_url:  # a dead end: nothing was handled, nothing is recorded
                return render(request, "entrance/entered.html", {"item": item, "acting_for": acting_for})
            services.enter(account=request.user, item=item, acting_for=acting_for, ip=client_ip(request))
            # Single sign-on will not ask again whom the user acts for.
            access.preselect(request, item.system, acting_for)
            return redirect(item.system.entrance_url.rstrip("/") + item.entrance_path)
        messages.error(request, _("请选择办理身份"))
    return render(request, "entrance/enter.html", {"item": item, "decision": decision})


@require_POST
def switch_account(request):
    """退出并前往…登录: a wrong-kind user leaves this session to log in at the other window."""
    target = local_next(request, request.POST.get("next"), "/login/")
    account_services.log_out(request, ip=client_ip(request))
    return redirect(target)


@login_required
@require_POST
def follow(request, pk):
    item = _item(pk)
    wanted = request.POST.get("follow") == "1"
    services.set_follow(account=request.user, item=item, follow=wanted)
    messages.success(request, _("已关注该事项") if wanted else _("已取消关注"))
    if back := local_next(request, request.POST.get("next")):
        return redirect(back)
    return redirect("service-item", pk=item.pk)


@login_required
def follows(request):
    """我的关注."""
    rows = (Follow.objects.filter(account=request.user, item__is_active=True)
            .select_related("item__system"))
    return render(request, "entrance/follows.html", {"section": "follows", "follows": rows})


@login_required
def apply(request):
    """我要办理."""
    return render(request, "entrance/apply.html", {"section": "apply", "items": services.items_for(request.user)})


@login_required
def matters(request):
    """我的事项: business systems entered, newest first."""
    visits = (SystemVisit.objects.filter(account=request.user)
              .select_related("system", "item", "acting_for__organisation"))
    return render(request, "entrance/matters.html", {"section": "matters", "visits": visits})
