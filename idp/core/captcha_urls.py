"""The captcha's image, sound and refresh addresses (django-simple-captcha's views), each limited
per client address: an image costs a drawing, a sound a run of flite."""

from functools import wraps

from captcha import urls as captcha_urls
from django.conf import settings
from django.http import HttpResponse
from django.urls import re_path

from idp.core import ratelimit
from idp.core.http import client_ip


def throttled(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not ratelimit.allow("captcha", client_ip(request), limit=settings.IDP_CAPTCHAS_PER_MINUTE, window=60):
            response = HttpResponse(status=429)
            response["Retry-After"] = "60"
            return response
        return view(request, *args, **kwargs)
    return wrapper


urlpatterns = [re_path(pattern.pattern.regex.pattern, throttled(pattern.callback), pattern.default_args,
                       name=pattern.name) for pattern in captcha_urls.urlpatterns]
