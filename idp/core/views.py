import sys

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from redis.exceptions import RedisError

from idp.core import health, metrics


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico before reading the page's icon link."""
    return redirect(static("idp/favicon.svg"), permanent=True)


def _health_response(check) -> JsonResponse:
    status, body = check()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def health_live(request):
    return _health_response(health.live)


@require_safe
def health_ready(request):
    return _health_response(health.ready)


@require_safe
def metrics_view(request):
    if not metrics.may_scrape(request.META):
        return HttpResponse("metrics need the bearer token (IDP_METRICS_TOKEN)\n", status=403,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


ERRORS = {
    400: (gettext_lazy("请求无效"),
          gettext_lazy("您的请求无法处理,可能是页面已过期或填写的内容不完整。请返回首页后重新操作。")),
    403: (gettext_lazy("无权限访问"), gettext_lazy("您没有访问此页面的权限。")),
    404: (gettext_lazy("页面不存在"), gettext_lazy("您访问的页面不存在或已被移除,请检查网址是否正确。")),
    405: (gettext_lazy("请求方式不被允许"), gettext_lazy("此页面不接受这种请求方式,请通过页面上的按钮或链接操作。")),
    500: (gettext_lazy("服务器错误"), gettext_lazy("处理您的请求时出错,请稍后再试。")),
}


# The machine endpoints (settings.MACHINE_PATHS) answer errors as OAuth-style JSON.
MACHINE_ERRORS = {400: "invalid_request", 403: "access_denied", 404: "not_found", 405: "invalid_request",
                  500: "server_error", 503: "temporarily_unavailable"}
RETRY_AFTER_SECONDS = 2  # a database or Redis that cannot be reached: the one answer, everywhere


def _machine_path(path: str) -> bool:
    return path in settings.MACHINE_PATHS


def error_page(request, status: int, text: str = "", *, title: str = ""):
    """The platform's own error page: what went wrong, in plain words, and 返回首页 (JSON for
    the machine endpoints)."""
    if _machine_path(request.path):
        return JsonResponse({"error": MACHINE_ERRORS[status]}, status=status)
    default_title, default_text = ERRORS[status]
    return render(request, "core/error.html", {"status": status, "title": title or default_title,
                                               "text": text or default_text}, status=status)


def bad_request(request, exception):
    return error_page(request, 400)


def permission_denied(request, exception):
    return error_page(request, 403, str(exception) if exception and str(exception) else "")


def page_not_found(request, exception):
    return error_page(request, 404)


_PAGE = ('<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title>'
         '<h1>{title}</h1><p>{text}</p><p><a href="/">{home}</a></p></html>')


def _bare_page(title, text) -> str:
    return _PAGE.format(lang="en" if get_language() == "en" else "zh-Hans", title=title, text=text, home=_("返回首页"))


def server_error(request):
    """handler500. Built without templates or context processors: they may need the very
    database or Redis that just failed."""
    error = sys.exc_info()[1]
    if isinstance(error, RedisError | OperationalError | InterfaceError):
        metrics.DEPENDENCY_ERRORS.labels("redis" if isinstance(error, RedisError) else "database").inc()
        if _machine_path(request.path):
            response = JsonResponse({"error": MACHINE_ERRORS[503]}, status=503)
        else:
            response = HttpResponse(_bare_page(_("服务暂时不可用"), _("系统正在恢复,请稍后再试。")), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if _machine_path(request.path):
        return JsonResponse({"error": MACHINE_ERRORS[500]}, status=500)
    try:
        return error_page(request, 500)
    except Exception:  # the page itself failed: the bare one
        return HttpResponse(_bare_page(*ERRORS[500]), status=500)
