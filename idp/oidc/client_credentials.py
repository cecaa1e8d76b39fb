"""The client_credentials grant (RFC 6749 §4.4), answered directly rather than through Authlib's
grant pipeline (server.py runs the other grants).

A business system's back end asks for these tokens thousands of times a second, and Authlib's
generic request wrapper, client-authentication registry and grant objects cost more than the
token itself (docs/benchmarks.md). The rules are the ones server.py gives Authlib: confidential
clients only, authenticated by client_secret_basic or client_secret_post; a scope the platform
does not know is invalid_scope; the answers are Authlib's, word for word in their fields.
"""

import base64
import binascii
import json
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpResponse

from idp.oidc import tokens
from idp.oidc.server import SCOPES
from idp.sso import clients

TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _answer(body: dict, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body, separators=(",", ":"), ensure_ascii=False), status=status,
                            content_type="application/json")
    for name, value in {**TOKEN_HEADERS, **(headers or {})}.items():
        response[name] = value
    return response


def _refused(error: str, description: str, status: int = 400, *, basic: bool = False) -> HttpResponse:
    headers = None
    if basic:  # RFC 6749 §5.2, RFC 7617 §2: the scheme the client tried, with its realm
        headers = {"WWW-Authenticate": f'Basic realm="{settings.IDP_ISSUER}", error="{error}", '
                                       f'error_description="{description}"'}
    return _answer({"error": error, "error_description": description}, status, headers)


def _basic_credentials(meta) -> tuple[str, str] | None:
    """client_secret_basic: the form-encoded id and secret (RFC 6749 §2.3.1), or None."""
    scheme, _, value = meta.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip()).decode()
    except (binascii.Error, ValueError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (unquote(client_id), unquote(secret)) if colon else None


def _authenticated(request):
    """The confidential client whose secret came with the request, by either method; else None."""
    tried = [_basic_credentials(request.META), (request.POST.get("client_id"), request.POST.get("client_secret"))]
    for client_id, secret in (pair for pair in tried if pair and all(pair)):
        client = clients.by_client_id(client_id)
        if client is not None and not client.is_public and clients.secret_matches(client, secret):
            return client
    return None


def token_response(request) -> HttpResponse:
    client = _authenticated(request)
    if client is None:
        return _refused("invalid_client", "The client cannot authenticate with methods: "
                        "['client_secret_basic', 'client_secret_post']", 401, basic=True)
    scope = request.POST.get("scope", "")
    if not set(scope.split()) <= set(SCOPES):
        return _refused("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    scope = " ".join(scope.split())
    access, lifetime = tokens.issue_access_token(client_id=client.client_id, scope=scope, subject=client.client_id,
                                                 alg=tokens.access_alg(client.id_token_alg))
    body = {"token_type": "Bearer", "access_token": access, "expires_in": lifetime}
    if scope:
        body["scope"] = scope
    return _answer(body)
