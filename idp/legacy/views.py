import json
from functools import wraps

from captcha.helpers import captcha_image_url
from captcha.models import CaptchaStore
from django import forms
from django.conf import settings
from django.http import HttpResponse, JsonResponse, RawPostDataException
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from idp.core import ratelimit
from idp.core.captcha import PlatformCaptchaField
from idp.core.captcha_urls import throttled
from idp.core.http import client_ip, storable
from idp.identifiers import validators
from idp.legacy import lookup


class LookupForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("账号类型"),
                             choices=[("enterprise", gettext_lazy("企业账号")), ("person", gettext_lazy("个人账号"))],
                             initial="enterprise", widget=forms.RadioSelect)
    uscc = forms.CharField(label=gettext_lazy("统一社会信用代码"), max_length=40, required=False)
    mobile = forms.CharField(label=gettext_lazy("手机号码"), max_length=20, required=False)
    captcha = PlatformCaptchaField()

    def clean(self):
        data = super().clean()
        field = "uscc" if data.get("kind") == "enterprise" else "mobile"
        check = validators.uscc if field == "uscc" else validators.mobile
        if data.get("kind"):
            try:
                data["key"] = check(data.get(field) or "")
            except validators.InvalidIdentifier as error:
                self.add_error(field, str(error))
        return data


def _allowed(request) -> bool:
    return ratelimit.allow("legacy-lookup", client_ip(request), limit=settings.IDP_MIGRATION_LOOKUPS_PER_MINUTE,
                           window=60)


def _answer(data) -> dict:
    return lookup.lookup_enterprise(data["key"]) if data["kind"] == "enterprise" else lookup.lookup_person(data["key"])


def lookup_page(request):
    """账号检索: the legacy platform's transfer page links here."""
    form = LookupForm(request.POST or None)
    answer, error = None, None
    if request.method == "POST" and form.is_valid():
        if _allowed(request):
            answer = _answer(form.cleaned_data)
        else:
            error = _("查询过于频繁,请稍后再试")
    shown = lookup.for_people(answer) if answer else None
    return render(request, "legacy/lookup.html", {"form": form, "answer": shown, "error": error})


def legacy_cors(view):
    """The legacy platform's transfer page calls these from its own origin: answer its CORS
    preflight, and let the origins in IDP_LEGACY_ORIGINS (none by default) read the answers.
    No cookies are involved (the captcha travels as its key), so no credentials are allowed."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        origin = request.headers.get("Origin", "")
        allowed = origin in settings.IDP_LEGACY_ORIGINS
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            if allowed:
                response["Access-Control-Allow-Methods"] = "GET, POST"
                response["Access-Control-Allow-Headers"] = "Content-Type"
                response["Access-Control-Max-Age"] = "600"
        else:
            response = view(request, *args, **kwargs)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
        patch_vary_headers(response, ["Origin"])
        return response
    return csrf_exempt(wrapper)


@legacy_cors
@require_GET
@throttled
def captcha_api(request):
    """GET /api/migration/captcha: a new captcha for a page on another origin — its key and
    the address of its image (the answer goes to the lookup as captcha_0 / captcha_1)."""
    key = CaptchaStore.generate_key()
    return JsonResponse({"key": key, "image_url": request.build_absolute_uri(captcha_image_url(key))})


@legacy_cors  # called from the legacy platform's page; guarded by the captcha and the rate limit
@require_POST
def lookup_api(request):
    """POST /api/migration/lookup with JSON {"kind", "uscc" | "mobile", "captcha_0", "captcha_1"}."""
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except (ValueError, RawPostDataException):  # not JSON (a form body was read as a form)
        return JsonResponse({"error": "invalid_request", "message": _("请求体应为 JSON 对象")}, status=400)
    if not _allowed(request):
        return JsonResponse({"error": "too_many_requests", "message": _("查询过于频繁,请稍后再试")}, status=429)
    form = LookupForm({storable(key): storable(str(value)) for key, value in body.items()
                       if isinstance(value, str | int)})
    if not form.is_valid():
        return JsonResponse({"error": "invalid_request",
                             "fields": {name: errors[0] for name, errors in form.errors.items()}}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    return JsonResponse(_answer(form.cleaned_data), json_dumps_params={"ensure_ascii": False})
