"""Protocol parameters are checked before any protocol code sees them (docs/security.md).

A NUL byte makes PostgreSQL refuse the query (a 500), and a library may choke on characters a
specification never allows. OAuth 2.0 / OpenID Connect parameters are printable ASCII
(RFC 6749 Appendix A, VSCHAR); CAS parameters are URLs and tickets, which never hold control
characters; SAML messages are base64 beside a RelayState. One check, in both middleware lists
(config/entry.py), so a malformed request is a 400 `invalid_request` wherever it arrives.
"""

import base64
import binascii
import re

from django.http import JsonResponse
from django.utils.translation import gettext as _

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")  # \ufffd: bytes that were not UTF-8
NOT_VSCHAR = re.compile(r"[^\x20-\x7e]")
FREE_TEXT = {"login_hint"}  # may name a person in any script
PROTOCOL_PREFIXES = ("/oidc/", "/cas/", "/saml/")
BROWSER_PATHS = {"/oidc/authorize", "/oidc/logout", "/cas/login", "/cas/logout"}


def _fields(request):
    yield from request.GET.lists()
    if request.method == "POST":  # form bodies, URL-encoded or multipart; empty for anything else
        yield from request.POST.lists()


def problem(request) -> str | None:
    """What is wrong with the request's protocol parameters, or None."""
    oauth = request.path.startswith("/oidc/")
    for key, values in _fields(request):
        for text in (key, *values):
            if CONTROL.search(text) or (oauth and key not in FREE_TEXT and NOT_VSCHAR.search(text)):
                return _("参数 %(name)s 含有不允许的字符") % {"name": NOT_VSCHAR.sub("?", key)[:40]}
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization[:6].lower() == "basic ":
        try:
            credentials = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, ValueError):
            return _("Authorization 头格式错误")
        if CONTROL.search(credentials):
            return _("Authorization 头含有不允许的字符")
    return None


def refusal(request, reason: str):
    """The 400 for a malformed protocol request: a page where a browser is sent (authorize,
    logout, CAS login/logout), JSON for the endpoints business systems call."""
    if request.path in BROWSER_PATHS or request.path.startswith("/saml/"):  # SAML: all through the browser
        from django.shortcuts import render

        return render(request, "sso/error.html", {"error": "invalid_request", "description": reason}, status=400)
    return JsonResponse({"error": "invalid_request", "error_description": reason}, status=400)


class ProtocolParametersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(PROTOCOL_PREFIXES) and (reason := problem(request)):
            return refusal(request, reason)
        return self.get_response(request)
