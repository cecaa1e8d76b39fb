"""GET /api/check/<what>?value=… (CONTRACT.md): validity and existence, for the
registration pages' 检索 buttons. Always 200 for a well-formed question; rate-limited.

POST /api/check/password (a password never travels in an address): whether a new password
passes the whole rule, common and breached passwords included — what the strength meter asks
before it says 强."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from idp.accounts import passwords, selectors
from idp.core import ratelimit
from idp.core.http import client_ip
from idp.identifiers import validators
from idp.identifiers.documents import document_type


def _login_name(value, request):
    name = validators.login_name(value)
    if selectors.login_name_exists(name):
        return name, True, _("该登录名已注册")
    return name, False, _("该登录名可以使用")


def _id_number(value, request):
    id_type = request.GET.get("id_type", "")
    number = document_type(id_type).validate(value)
    if selectors.person_document_exists(id_type, number):
        # SPEC 2.1: a warning, not a block — one document may register several accounts.
        return number, True, _("已有账号使用该证件号码注册,请直接登录或找回密码;该证件只能在一个账号上完成实名认证")
    return number, False, _("该证件号码尚未注册")


def _uscc(value, request):
    code = validators.uscc(value)
    if selectors.uscc_exists(code):
        return code, True, _("该统一社会信用代码已注册法人账号,请直接登录或找回密码")
    return code, False, _("该统一社会信用代码尚未注册")


def _org_name(value, request):
    name = validators.display_name(value)
    if not name:
        raise validators.InvalidIdentifier(_("请输入单位名称"))
    if len(name) > 200:
        raise validators.InvalidIdentifier(_("单位名称不能超过 200 个字符"))
    if selectors.org_name_exists(name):
        return name, True, _("该单位已注册法人账号")
    return name, False, _("该单位尚未注册")


def _mobile(value, request):
    phone = validators.mobile(value)
    if selectors.phone_exists(phone):
        return phone, True, _("该手机号码已被其他账号预留")
    return phone, False, _("该手机号码尚未被预留")


CHECKS = {
    "login-name": _login_name,
    "id-number": _id_number,
    "uscc": _uscc,
    "org-name": _org_name,
    "mobile": _mobile,
}


@require_GET
def check(request, what):
    if what not in CHECKS:
        return JsonResponse({"error": "unknown check", "checks": sorted(CHECKS)}, status=404)
    if not ratelimit.allow("check-api", client_ip(request),
                           limit=settings.IDP_CHECK_API_PER_MINUTE, window=60):
        return JsonResponse({"valid": False, "exists": False, "message": _("查询过于频繁,请稍后再试")},
                            status=429)
    value = request.GET.get("value", "")
    try:
        _normalised, exists, message = CHECKS[what](value, request)
    except validators.InvalidIdentifier as exc:
        return JsonResponse({"valid": False, "exists": False, "message": str(exc)},
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"valid": True, "exists": exists, "message": message},
                        json_dumps_params={"ensure_ascii": False})


@require_POST
def check_password(request):
    if not ratelimit.allow("check-api", client_ip(request), limit=settings.IDP_CHECK_API_PER_MINUTE, window=60):
        return JsonResponse({"valid": False, "message": _("查询过于频繁,请稍后再试")}, status=429)
    personal = [request.POST.get(name, "") for name in ("login_name", "name", "phone", "email")]
    try:
        passwords.check_password_rule(request.POST.get("password", ""), personal=personal)
    except ValidationError as refused:
        return JsonResponse({"valid": False, "message": refused.messages[0]}, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"valid": True, "message": ""})
