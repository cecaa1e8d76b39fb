from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from idp.core.http import client_ip
from idp.delegation import selectors, services
from idp.delegation.forms import ExpiryForm, GrantForm


def _legal_only(request):
    if not request.user.is_legal:
        raise PermissionDenied(_("用户授权管理只对法人用户开放:由单位为自然人授权代办。"))


@login_required
def manage(request):
    """用户授权管理 (legal persons): grant, list, change and revoke."""
    _legal_only(request)
    form = GrantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.find_person(organisation=request.user, login_name=data["login_name"],
                                          name=data["name"], id_suffix=data["id_suffix"], ip=client_ip(request))
            services.create_grants(organisation=request.user, person=person, systems=data["systems"],
                                   expires_on=data["expires_on"], actor=request.user, ip=client_ip(request))
        except services.DelegationError as error:
            form.add_error(error.field, str(error))
        else:
            names = _("、").join(system.name for system in data["systems"])
            messages.success(request, _("已授权 %(name)s 代办:%(systems)s")
                             % {"name": person.person.name, "systems": names})
            return redirect("delegation")
    return render(request, "delegation/manage.html", {
        "section": "delegation", "form": form, "grants": selectors.grants_given(request.user),
        "unverified": None if request.user.is_realname_verified else services.ORGANISATION_UNVERIFIED,
    })


@login_required
@require_POST
def change(request, grant_id):
    _legal_only(request)
    form = ExpiryForm(request.POST)
    try:
        if not form.is_valid():
            raise services.DelegationError(form.errors["expires_on"][0])
        services.change_grant(organisation=request.user, grant_id=grant_id,
                              expires_on=form.cleaned_data["expires_on"], actor=request.user,
                              ip=client_ip(request))
    except services.GrantNotFound:
        raise Http404 from None
    except services.DelegationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("授权有效期已修改"))
    return redirect("delegation")


def _confirm(request, grant, *, action: str, question: str, back: str):
    """The second step of an action that cannot be undone: a page that names what will happen,
    with its own button (plain forms: it works without scripts)."""
    return render(request, "delegation/confirm.html", {"grant": grant, "action": action, "question": question,
                                                       "back": back})


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request, grant_id):
    _legal_only(request)
    if request.POST.get("confirmed") != "1":
        grant = selectors.grants_given(request.user).filter(pk=grant_id).first()
        if grant is None:
            raise Http404
        return _confirm(request, grant, action=_("撤销授权"), back=reverse("delegation"),
                        question=_("确认撤销对 %(person)s 办理“%(system)s”的授权?")
                        % {"person": grant.person.display_name, "system": grant.system.name})
    try:
        services.revoke_grant(organisation=request.user, grant_id=grant_id, actor=request.user,
                              ip=client_ip(request))
    except services.GrantNotFound:
        raise Http404 from None
    messages.success(request, _("授权已撤销"))
    return redirect("delegation")


@login_required
@require_http_methods(["GET", "POST"])
def decline(request, grant_id):
    """The authorised person declines a grant from 法人(单位)授权办理情况."""
    if not request.user.is_natural:
        raise Http404
    if request.POST.get("confirmed") != "1":
        grant = selectors.grants_received(request.user).filter(pk=grant_id).first()
        if grant is None:
            raise Http404
        return _confirm(request, grant, action=_("拒绝"), back="/online/profile/#grants",
                        question=_("确认拒绝 %(organisation)s 授权您办理“%(system)s”?")
                        % {"organisation": grant.organisation.display_name, "system": grant.system.name})
    try:
        services.decline_grant(person=request.user, grant_id=grant_id, actor=request.user,
                               ip=client_ip(request))
    except services.GrantNotFound:
        raise Http404 from None
    messages.success(request, _("已拒绝该授权"))
    return redirect("/online/profile/#grants")
