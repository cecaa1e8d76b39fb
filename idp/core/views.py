import sys

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from redis.exceptions import RedisError

from idp.core import health, metrics


def home(request):
    return render(request, "core/home.html")


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


_PAGE = ('<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>{title}</title>'
         '<h1>{title}</h1><p>{text}</p><p><a href="/">返回首页</a></p></html>')


def server_error(request):
    """handler500. Built without templates or context processors: they may need the very
    database or Redis that just failed."""
    error = sys.exc_info()[1]
    if isinstance(error, RedisError | OperationalError | InterfaceError):
        metrics.DEPENDENCY_ERRORS.labels("redis" if isinstance(error, RedisError) else "database").inc()
        response = HttpResponse(_PAGE.format(title="服务暂时不可用", text="系统正在恢复,请稍后再试。"), status=503)
        response["Retry-After"] = "5"
        return response
    return HttpResponse(_PAGE.format(title="服务器错误", text="处理您的请求时出错,请稍后再试。"), status=500)
