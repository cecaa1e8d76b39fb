"""The pages' middleware: text that can be stored, the page language, the security headers of every page
(docs/security.md, "What the platform promises"), and the error page for a method a page does not take.
The machine endpoints have theirs in machine.py."""

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import QueryDict
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from idp.core.http import storable, unstorable
from idp.core.views import error_page

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",  # no inline script exists; keep it so
    "style-src 'self'",
    "img-src 'self' data: blob:",  # blob: for the upload preview
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
])


class StorableTextMiddleware:
    """No request text reaches a view with a character the database cannot store: in query and
    form values NUL and lone surrogates become U+FFFD (so the field that receives one says it is
    invalid, keeping what else was typed); a path with one is a 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if unstorable(request.path_info):
            return error_page(request, 400)
        request.GET = _storable(request.GET)
        if request.method == "POST":
            request.POST = _storable(request.POST)
        return self.get_response(request)


def _storable(values: QueryDict) -> QueryDict:
    if not any(unstorable(key) or any(unstorable(v) for v in items) for key, items in values.lists()):
        return values
    clean = QueryDict(mutable=True)
    for key, items in values.lists():
        clean.setlist(storable(key), [storable(v) for v in items])
    clean._mutable = False
    return clean


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy on every HTML page, and no HTML page is ever stored by
    browsers or proxies: nearly every page may carry someone's data — a signed-in person's, a
    form sent back with what was typed (passwords included), an appeal's reference."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
        return response


class MethodNotAllowedPageMiddleware:
    """A page asked for with a method it does not take (Django answers 405 with an empty body)
    gets the platform's error page, for people; protocol clients keep the bare answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and "text/html" in request.headers.get("Accept", ""):
            page = error_page(request, 405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response


def ui_locale(request) -> str | None:
    """The first language we have among an OpenID Connect request's `ui_locales` (space-separated
    BCP 47 tags, most wanted first), read from the request or from the authorization request it
    will return to (`next`, as on the login pages the authorize step sends people to)."""
    wanted = request.GET.get("ui_locales", "")
    if not wanted and (back := request.GET.get("next", "")):
        wanted = parse_qs(urlsplit(back).query).get("ui_locales", [""])[0]
    for tag in wanted.split()[:10]:
        base = tag.lower().split("-")[0]
        if base == "en":
            return "en"
        if base == "zh":
            return "zh-hans"
    return None


class LanguageMiddleware:
    """The page language: the one chosen with the header's 中文 / English switch (a cookie set by
    /i18n/setlang/); else what a business system asked for with `ui_locales`; else Chinese.
    Unlike Django's LocaleMiddleware it does not follow the browser's Accept-Language: Chinese
    is the platform's language unless a person (or the system they come from) asks."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.known = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        meta = request.META  # what a back end's request lacks (cookies, a query) is not parsed
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if "HTTP_COOKIE" in meta else None
        if chosen in self.known:
            language = chosen
        else:
            language = (ui_locale(request) if meta.get("QUERY_STRING") else None) or settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        if translation.get_language() == language:  # the thread's language already (the default)
            response = self.get_response(request)
        else:
            with translation.override(language):
                response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response
