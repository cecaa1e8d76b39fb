"""The middleware of the machine endpoints (settings.MACHINE_MIDDLEWARE, config/entry.py).

What the pages' list does for a request, done in one layer: the body limit (form fields only,
DATA_UPLOAD_MAX_MEMORY_SIZE, file parts dropped unread), the host check, the language a cookie
chose, and Django's security headers. One layer because these endpoints answer in a few hundred
microseconds, and each of Django's middleware layers costs several of them; the checks are the
same functions the pages use.
"""

import ipaddress

from django.conf import settings
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from idp.core.request_body import DropFiles, content_length, too_large_json

# Probes and scrapers may name the node by its address — a load balancer's health check does —
# but never by another name than ALLOWED_HOSTS.
PROBE_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})


def _ip_literal(host: str) -> bool:
    name = host[1:host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def check_host(request) -> None:
    """Raises DisallowedHost (a 400) unless the Host is one of ALLOWED_HOSTS."""
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    if not (request.path in PROBE_PATHS and _ip_literal(host)):
        request.get_host()


class MachineMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.security = SecurityMiddleware(get_response)  # its request and response halves
        self.known = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        meta = request.META
        length = content_length(meta)
        if length is None or length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return too_large_json()
        if meta.get("CONTENT_TYPE", "").startswith("multipart/"):
            request.upload_handlers = [DropFiles(request)]
        check_host(request)
        if redirect := self.security.process_request(request):
            return redirect
        # Error descriptions in the language the switch's cookie chose (a browser app's call may
        # carry it); back ends send none and get the platform's language.
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if "HTTP_COOKIE" in meta else None
        language = request.LANGUAGE_CODE = chosen if chosen in self.known else settings.LANGUAGE_CODE
        if translation.get_language() == language:
            response = self.get_response(request)
        else:
            with translation.override(language):
                response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return self.security.process_response(request, response)
