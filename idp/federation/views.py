"""The browser's side of a login through an upstream provider (signon.py), the person's choice
when no account is linked yet, and the upstream's back-channel logout."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from idp.accounts import forms as account_forms
from idp.accounts import services as account_services
from idp.accounts import views as account_views
from idp.accounts.login import LoginRefused, authenticate_at_tab
from idp.accounts.models import AccountKind
from idp.core.http import client_ip, local_next
from idp.federation import linking, signon, upstream
from idp.federation.models import IdentityProvider
from idp.identifiers.documents import DOCUMENT_TYPES
from idp.identifiers.masking import mask_id_number, mask_phone
from idp.realname import services as realname


def _provider(code: str) -> IdentityProvider:
    provider = IdentityProvider.objects.filter(code=code, enabled=True).first()
    if provider is None:
        raise Http404
    return provider


def _failed(request, provider: IdentityProvider, exc: upstream.UpstreamError, *, kind: str = "", next_url: str = ""):
    """Every failure ends here: what happened in plain words, the password login, trying again."""
    kind = kind if kind in AccountKind.values else AccountKind.NATURAL
    query = {"tab": kind, **({"next": next_url} if next_url else {})}
    retry = {"kind": kind, **({"next": next_url} if next_url else {})}
    return render(request, "federation/failed.html", {
        "provider": provider, "message": exc.message, "code": exc.code,
        "login_url": f"{reverse('login')}?{urlencode(query)}",
        "retry_url": f"{reverse('federation-start', args=[provider.code])}?{urlencode(retry)}"}, status=400)


@require_GET
def start(request, code):
    provider = _provider(code)
    kind = request.GET.get("kind")
    if kind not in AccountKind.values or not provider.serves(kind):
        kind = AccountKind.LEGAL if provider.kinds == IdentityProvider.Kinds.LEGAL else AccountKind.NATURAL
    next_url = local_next(request, request.GET.get("next"))
    try:
        return redirect(signon.begin(request, provider, kind=kind, next_url=next_url))
    except upstream.UpstreamError as exc:
        return _failed(request, provider, exc, kind=kind, next_url=next_url)


@never_cache
@require_GET
def callback(request, code):
    provider = _provider(code)
    kind, next_url = signon.remembered_next(request, request.GET.get("state"))
    try:
        decision, found = signon.finish(request, provider, request.GET)
        if decision == linking.CHOOSE:
            return redirect("federation-choose")
        response = signon.sign_in(request, found["account"], found["login"])
    except upstream.UpstreamError as exc:
        return _failed(request, provider, exc, kind=kind, next_url=next_url)
    if decision == linking.MATCHED:
        messages.success(request, _("您的账号已与%(name)s关联:本平台已实名的账号与%(name)s核验的证件一致。"
                                    "今后可直接使用%(name)s登录;如需解除,请到“我的信息”。") % {"name": provider.name})
    return response or redirect(next_url or "online")


def _pending_or_login(request):
    provider, kept = signon.pending(request)
    if provider is None:
        messages.info(request, _("外部账号登录已超时,请重新登录"))
    return provider, kept


@never_cache
def choose(request):
    """No account here is linked to the upstream's person (linking row 3): link one by its
    password, or register a new one."""
    provider, kept = _pending_or_login(request)
    if provider is None:
        return redirect("login")
    kind, error = kept["kind"], None
    if request.method == "POST":
        form = account_forms.LoginForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # The failures are counted and logged whatever happens next: outside the transaction.
                account = authenticate_at_tab(request, kind=kind, login_name=data["login_name"],
                                              password=data["password"], ip=client_ip(request))
                with transaction.atomic():
                    linking.link(provider=provider, subject=kept["subject"], account=account,
                                 how=linking.BY_PASSWORD, ip=client_ip(request))
                    response = signon.sign_in(request, account, signon.login_of(kept), methods=("fed", "pwd"))
            except (LoginRefused, linking.LinkRefused, upstream.UpstreamError) as exc:
                error = exc.message
            else:
                messages.success(request, _("已关联%(name)s,今后可直接使用%(name)s登录") % {"name": provider.name})
                return response or redirect(kept["next"] or "online")
    else:
        form = account_forms.LoginForm(initial={"kind": kind})
    document = DOCUMENT_TYPES.get(kept["id_type"])
    return render(request, "federation/choose.html", {
        "provider": provider, "form": form, "error": error, "kind": kind, "person": {
            "name": kept["name"], "id_type": document.label if document else "",
            "id_number": mask_id_number(kept["id_number"]), "uscc": kept["uscc"],
            "phone": mask_phone(kept["phone"])}})


def _initial(kept: dict) -> dict:
    if kept["kind"] == AccountKind.NATURAL:
        document = DOCUMENT_TYPES.get(kept["id_type"])
        return {"name": kept["name"], "id_type": kept["id_type"], "id_number": kept["id_number"],
                "identity_type": document.identity_type if document else "", "phone": kept["phone"]}
    return {"org_name": kept["name"], "uscc": kept["uscc"], "agent_mobile": kept["phone"]}


def _asserted_number_kept(kept: dict, data: dict) -> bool:
    """The new account carries the very number the upstream vouched for."""
    if kept["kind"] == AccountKind.NATURAL:
        return bool(kept["id_number"]) and (data["id_type"], data["id_number"]) == (kept["id_type"], kept["id_number"])
    return bool(kept["uscc"]) and data.get("uscc") == kept["uscc"]


def register(request):
    """注册 with what the upstream said filled in (the SMS code and password as in any
    registration); the new account is linked, and verified at once when the upstream vouched for
    the number it carries."""
    provider, kept = _pending_or_login(request)
    if provider is None:
        return redirect("login")
    natural = kept["kind"] == AccountKind.NATURAL
    ip = client_ip(request)

    def create(data, code_id):
        with transaction.atomic():
            if natural:
                account = account_services.register_natural_person(
                    login_name=data["login_name"], password=data["password"], name=data["name"],
                    identity_type=data["identity_type"], id_type=data["id_type"], id_number=data["id_number"],
                    phone=data["phone"], code_id=code_id, ip=ip)
            else:
                account = account_services.register_organisation(data=data, code_id=code_id, ip=ip)
            try:
                linking.link(provider=provider, subject=kept["subject"], account=account,
                             how=linking.BY_REGISTRATION, ip=ip)
            except linking.LinkRefused as exc:
                raise account_services.Conflict(exc.message, code=exc.code) from None
        if kept["verified"] and _asserted_number_kept(kept, data):
            realname.vouched_for_upstream(account=account, upstream=provider.code, ip=ip)
        return account

    def done(account):
        response = signon.sign_in(request, account, signon.login_of(kept))
        messages.success(request, _("注册成功,已关联%(name)s") % {"name": provider.name})
        return response or redirect(kept["next"] or "online")

    notice = _("以下信息来自%(name)s,请核对并补充登录名、密码与短信验证码。") % {"name": provider.name}
    return account_views.registration_page(
        request, account_forms.NaturalRegistrationForm if natural else account_forms.LegalRegistrationForm,
        "accounts/register_natural.html" if natural else "accounts/register_legal.html", create,
        initial=_initial(kept), done=done, extra={"upstream_notice": notice})


@login_required
@require_POST
def unlink(request, pk):
    try:
        linking.unlink(account=request.user, identity_id=pk, ip=client_ip(request))
    except linking.LinkRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已解除关联"))
    return redirect(reverse("profile") + "#linked")


@csrf_exempt
@require_POST
def backchannel_logout(request, code):
    """OIDC Back-Channel Logout from the upstream: its logout token ends the sessions it began."""
    provider = _provider(code)
    token = request.POST.get("logout_token")
    if not isinstance(token, str) or not token:
        return JsonResponse({"error": "invalid_request", "error_description": "logout_token is missing"}, status=400)
    try:
        signon.logged_out_upstream(provider, token)
    except upstream.UpstreamError as exc:
        return JsonResponse({"error": "invalid_request", "error_description": exc.code}, status=400)
    response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response
