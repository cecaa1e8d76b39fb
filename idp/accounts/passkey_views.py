"""The browser's side of passkeys (accounts/passkeys.py): JSON endpoints the login page and
我的信息 → 两步验证 call from forms.js, each CSRF-checked."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idp.accounts import devices, passkeys, services
from idp.accounts.mfa_views import BACKEND
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import permissions, ratelimit
from idp.core.http import client_ip, local_next

MAX_ATTEMPTS_PER_MINUTE = 20


def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _options(document: str) -> HttpResponse:
    return HttpResponse(document, content_type="application/json")


def _refused(exc: passkeys.PasskeyRefused, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": exc.message, "field": exc.field}, status=status)


@require_POST
def login_options(request):
    if ratelimit.hit("passkey", client_ip(request), window=60) > MAX_ATTEMPTS_PER_MINUTE:
        return JsonResponse({"error": _("尝试过于频繁,请稍后再试")}, status=429)
    return _options(passkeys.authentication_options(request))


@require_POST
def login(request):
    body = _body(request)
    try:
        account = passkeys.authenticate(request, credential=body.get("credential"), ip=client_ip(request))
    except passkeys.PasskeyRefused as exc:
        return _refused(exc)
    services.log_in(request, account, backend=BACKEND, methods=("hwk", "user"))
    permissions.mark_second_factor(request)  # the device checked its PIN or biometrics: two factors
    record(Event.LOGIN, account=account, actor=account, ip=client_ip(request), method="passkey",
           agent=request.META.get("HTTP_USER_AGENT", "")[:200])
    response = JsonResponse({"redirect": local_next(request, body.get("next"), reverse("online"))})
    devices.remember(request, response, account.login_name)  # this browser is known from now on
    return response


@login_required
@require_POST
def enrol_options(request):
    """The password typed again first: a session left open cannot add a key to the account."""
    password = _body(request).get("password")
    if not isinstance(password, str) or not request.user.check_password(password):
        return JsonResponse({"error": _("密码不正确"), "field": "password"}, status=400)
    return _options(passkeys.registration_options(request, request.user))


@login_required
@require_POST
def enrol(request):
    body = _body(request)
    try:
        passkeys.register(request, request.user, name=str(body.get("name") or ""),
                          credential=body.get("credential"), ip=client_ip(request))
    except passkeys.PasskeyRefused as exc:
        return _refused(exc)
    messages.success(request, _("已添加通行密钥"))
    return JsonResponse({"redirect": reverse("mfa-settings")})


@login_required
@require_POST
def remove(request, pk: int):
    if passkeys.remove(request.user, pk, ip=client_ip(request)):
        messages.success(request, _("已删除通行密钥"))
    return redirect("mfa-settings")


@login_required
@require_POST
def confirm(request):
    """找回账号后: the person checked the list — every passkey left is theirs."""
    passkeys.reviewed(request.user)
    messages.success(request, _("已确认通行密钥"))
    return redirect("mfa-settings")
