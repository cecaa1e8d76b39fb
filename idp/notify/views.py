from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idp.core.http import client_ip
from idp.identifiers import validators
from idp.notify import otp

# Purposes a visitor may ask a code for from a public page.
PUBLIC_PURPOSES = {"register", "register_agent", "appeal"}


@require_POST
def send_sms_code(request):
    """POST phone + purpose → {"sent": bool, "message": str}; used by the 获取验证码 buttons."""
    purpose = request.POST.get("purpose", "")
    if purpose not in PUBLIC_PURPOSES:
        return JsonResponse({"sent": False, "message": _("未知的验证码用途")}, status=400)
    try:
        phone = validators.mobile(request.POST.get("phone", ""))
    except validators.InvalidIdentifier as exc:
        return JsonResponse({"sent": False, "field": "phone", "message": str(exc)}, status=400)
    try:
        otp.send_code(phone=phone, purpose=purpose, ip=client_ip(request))
    except otp.CodeError as exc:
        status = 429 if exc.code in {"too_soon", "phone_cap", "ip_cap"} else 503
        return JsonResponse({"sent": False, "message": str(exc)}, status=status)
    return JsonResponse({"sent": True, "message": _("验证码已发送,5 分钟内有效")})
