from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from idp.core import health


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
