from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

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
