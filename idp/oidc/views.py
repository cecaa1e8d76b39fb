"""Thin views over the Authlib server (server.py). Back-channel endpoints answer JSON only,
errors included, and are exempt from CSRF (INTEROP.md)."""

import hashlib
import json
from functools import wraps

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import (
    AccountSelectionRequiredError,
    ConsentRequiredError,
    InteractionRequiredError,
    LoginRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)
from authlib.oidc.rpinitiated import EndSessionEndpoint
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from idp.accounts import services as account_services
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import process_copies
from idp.core.http import client_ip
from idp.core.metrics import TOKENS
from idp.oidc import client_credentials, families, hints, tokens
from idp.oidc.server import SCOPES, Principal, server
from idp.sso import access, claims, clients, keys, sessions, steps

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


def _json(data, status=200, headers=None) -> HttpResponse:
    response = HttpResponse(json.dumps(data, separators=(",", ":"), ensure_ascii=False), status=status,
                            content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def json_endpoint(*methods, cors: bool = False):
    """CSRF-exempt, JSON-only; a wrong method is a JSON 405, not an HTML page. With `cors`, the
    browser apps of public clients (their redirect URIs' origins) may call it: the preflight is
    answered and the answer carries Access-Control-Allow-Origin (no cookies are involved)."""
    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            origin = request.META.get("HTTP_ORIGIN", "") if cors else ""  # not request.headers: it copies them all
            allowed = bool(origin) and origin in clients.public_origins()
            if cors and request.method == "OPTIONS":
                response = HttpResponse(status=204)
                if allowed:
                    response["Access-Control-Allow-Methods"] = ", ".join(methods)
                    response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
                    response["Access-Control-Max-Age"] = "600"
            elif request.method not in methods:
                response = _json({"error": "invalid_request", "error_description": "method not allowed"}, 405,
                                 {"Allow": ", ".join(methods)})
            else:
                response = view(request, *args, **kwargs)
            if allowed:
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Expose-Headers"] = "WWW-Authenticate"
            if cors:
                patch_vary_headers(response, ["Origin"])
            return response
        return wrapper
    return decorate


def _repeated(request) -> str | None:
    """RFC 6749 §3.2: a parameter sent more than once is refused."""
    return next((name for name, values in request.POST.lists() if len(values) > 1), None)


def url(name: str) -> str:
    return settings.IDP_ISSUER + reverse(name)


_discovery_cache: dict = {}
process_copies.register("discovery document", _discovery_cache.clear)


def discovery_document() -> bytes:
    if settings.IDP_ISSUER not in _discovery_cache:
        document = {
            "issuer": settings.IDP_ISSUER,
            "authorization_endpoint": url("oidc-authorize"),
            "token_endpoint": url("oidc-token"),
            "userinfo_endpoint": url("oidc-userinfo"),
            "jwks_uri": url("oidc-jwks"),
            "introspection_endpoint": url("oidc-introspect"),
            "revocation_endpoint": url("oidc-revoke"),
            "end_session_endpoint": url("oidc-logout"),
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "SM2"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "amr",
                                 "name", "account_type", "realname_status", "realname_verified", "org_name", "uscc",
                                 "legal_type", "act"],
            "prompt_values_supported": ["none", "login"],
            "ui_locales_supported": ["zh-CN", "en"],  # the login pages follow ui_locales (core/middleware.py)
            "authorization_response_iss_parameter_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "frontchannel_logout_supported": False,
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
        }
        _discovery_cache[settings.IDP_ISSUER] = json.dumps(document, separators=(",", ":")).encode()
    return _discovery_cache[settings.IDP_ISSUER]


@json_endpoint("GET", "HEAD")
def discovery(request):
    response = HttpResponse(discovery_document(), content_type="application/json")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@json_endpoint("GET", "HEAD")
def jwks(request):
    response = HttpResponse(keys.jwks_json(), content_type="application/jwk-set+json")
    response["Cache-Control"] = f"public, max-age={keys.JWKS_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@json_endpoint("POST", cors=True)
def token(request):
    if not request.POST.get("grant_type"):
        return _json({"error": "invalid_request", "error_description": "grant_type is required"}, 400)
    if repeated := _repeated(request):
        return _json({"error": "invalid_request", "error_description": f"{repeated} is repeated"}, 400)
    # No request-wide transaction: each grant's writes are one statement (families.py).
    grant_type = request.POST["grant_type"]
    if grant_type == "client_credentials":
        response = client_credentials.token_response(request)
    else:
        with tokens.rotation_answer():  # a rotation that fails may have committed: its retry is not reuse
            response = server.create_token_response(request)
    if response.status_code == 200:
        TOKENS.labels(grant_type if grant_type in GRANT_TYPES else "other").inc()
    return response


@json_endpoint("POST")
def introspect(request):
    if repeated := _repeated(request):
        return _json({"error": "invalid_request", "error_description": f"{repeated} is repeated"}, 400)
    return server.create_endpoint_response("introspection", request)


@json_endpoint("POST", cors=True)
def revoke(request):
    if repeated := _repeated(request):
        return _json({"error": "invalid_request", "error_description": f"{repeated} is repeated"}, 400)
    return server.create_endpoint_response("revocation", request)


class _TwoTokens(Exception):
    pass


def _bearer(request) -> str:
    """The access token, from the Authorization header or a form body (RFC 6750 §2.1, §2.2) —
    one way only: both at once is a malformed request."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    in_header = value.strip() if scheme.lower() == "bearer" else ""
    in_body = request.POST.get("access_token", "") if request.method == "POST" else ""
    if in_header and in_body:
        raise _TwoTokens
    return in_header or in_body


def _unauthorized(error: str | None = "invalid_token", status=401):
    """RFC 6750 §3: a request without any token gets the challenge without an error code."""
    if error is None:
        return _json({}, status, {"WWW-Authenticate": f'Bearer realm="{settings.IDP_ISSUER}"'})
    return _json({"error": error}, status,
                 {"WWW-Authenticate": f'Bearer realm="{settings.IDP_ISSUER}", error="{error}"'})


@json_endpoint("GET", "POST", cors=True)
def userinfo(request):
    try:
        token = _bearer(request)
    except _TwoTokens:
        return _unauthorized("invalid_request", 400)
    if not token:
        return _unauthorized(None)
    access_claims = tokens.read_access_token(token)
    if access_claims is None or "gid" not in access_claims:
        return _unauthorized()
    if "openid" not in access_claims.get("scope", "").split():
        return _unauthorized("insufficient_scope", 403)
    family = families.load(access_claims["gid"])
    if family is None or family.revoked or not family.account.is_active:
        return _unauthorized()
    return _json(claims.identity_claims(family.account, family.acting_for))


# --- the browser side: authorize and logout ---

def _protocol_error_page(request, error: OAuth2Error):
    return render(request, "sso/error.html", {"error": error.error, "description": error.description}, status=400)


ANSWERS = ("csrfmiddlewaretoken", "acting_for", "consent")  # the person's answers on our pages, not protocol


def _request_url(request, *without) -> str:
    """The authorization request as a GET address, whether it came by GET or as a form POST
    (OIDC Core §3.1.2.1): where the login page and our own pages send the browser back."""
    query = request.GET.copy()
    if request.method == "POST":
        for name, values in request.POST.lists():
            if name not in ANSWERS:
                query.setlist(name, values)
    for name in without:
        query.pop(name, None)
    return f"{request.path}?{query.urlencode()}"


def _with_iss(response):
    """RFC 9207: every authorization response sent to the client names the issuer."""
    location = response.get("Location", "")
    if response.status_code == 302 and location:
        response["Location"] = location + ("&" if "?" in location else "?") + urlencode({"iss": settings.IDP_ISSUER})
    return response


def _error_to_client(request, grant, error_class, description=None):
    error = error_class(description=description, state=grant.request.payload.state, redirect_uri=grant.redirect_uri)
    return _with_iss(server.handle_error_response(grant.request, error))


def _unsupported(grant) -> tuple[type, str | None] | None:
    """Request objects and response modes discovery does not offer are refused, not ignored."""
    data = grant.request.payload.data
    if "request" in data:
        return RequestNotSupportedError, None
    if "request_uri" in data:
        return RequestURINotSupportedError, None
    if data.get("response_mode", "query") != "query":
        return InvalidRequestError, "only response_mode=query is supported"
    return None


SILENT_REFUSALS = {steps.NEEDS_LOGIN: LoginRequiredError, steps.NEEDS_INTERACTION: InteractionRequiredError,
                   steps.NEEDS_CHOICE: AccountSelectionRequiredError}


@csrf_exempt  # a protocol request may come as a form POST from any site; the person's answers are checked below
def authorize(request):
    if request.method == "POST" and any(name in request.POST for name in ANSWERS):
        return csrf_protect(_authorize)(request)  # a person answered one of our pages
    if request.method not in ("GET", "POST"):
        return _protocol_error_page(request, InvalidRequestError("GET or POST"))
    return _authorize(request)


def _authorize(request):
    account = request.user if request.user.is_authenticated else None
    try:
        grant = server.get_consent_grant(request, end_user=account)
    except OAuth2Error as error:
        if error.redirect_uri:
            return _with_iss(server.handle_error_response(server.create_oauth2_request(request), error))
        return _protocol_error_page(request, error)
    data = grant.request.payload.data
    if "openid" in (grant.request.scope or "").split() and not data.get("redirect_uri"):
        # OIDC Core §3.1.2.1: required of an OpenID request, whatever is registered.
        return _protocol_error_page(request, InvalidRequestError("redirect_uri is required"))
    if unsupported := _unsupported(grant):
        return _error_to_client(request, grant, *unsupported)
    hint = hints.identity_token(data.get("id_token_hint"), grant.client.client_id)
    if hint is hints.BROKEN:
        return _error_to_client(request, grant, InvalidRequestError, "id_token_hint is not valid")
    system = grant.client.model.system
    if account is None:  # (prompt=none was answered login_required by Authlib)
        return steps.login_redirect(system, _request_url(request))
    hinted = access.NOT_HINTED
    if hint is not None:
        hinted = hints.identity_of(hint, account, access.decide(account, system))
        if hinted is hints.SOMEONE_ELSE:  # the hint names another person (or an identity not theirs here)
            return _error_to_client(request, grant, LoginRequiredError)
    session = sessions.current(request)
    key = "oidc:" + hashlib.sha256(_request_url(request).encode()).hexdigest()[:32]
    if data.get("prompt") == "none":
        if _too_old(data, session):
            return _error_to_client(request, grant, LoginRequiredError)
        why_not, acting_for = steps.silent_identity(request, system, hinted=hinted)
        if why_not:
            return _error_to_client(request, grant, SILENT_REFUSALS[why_not])
        if not grant.client.model.first_party:
            return _error_to_client(request, grant, ConsentRequiredError)
        return _issue_code(request, grant, account, acting_for, session, key)
    wants_new_login = getattr(grant, "prompt", None) == "login" or _too_old(data, session)
    if wants_new_login and not steps.password_typed_for(request, key):
        # The same request comes back after the login (prompt and max_age kept): only a password
        # typed after this redirect lets it through, not the link opened again.
        return steps.ask_for_password(request, system, key, _request_url(request))
    step, acting_for = steps.whom(request, system, hinted=hinted)
    if step is not None:
        return step
    if not grant.client.model.first_party:
        # A third-party system asks first; platform systems (first_party) skip this step.
        answer = request.POST.get("consent") if request.method == "POST" else None
        if answer == "deny":
            return _with_iss(server.create_authorization_response(request, grant_user=None, grant=grant))
        if answer != "allow":
            return render(request, "sso/consent.html", {"system": system, "acting_for": acting_for,
                                                        "action": _request_url(request)})
    return _issue_code(request, grant, account, acting_for, session, key)


def _issue_code(request, grant, account, acting_for, session, key):
    system = grant.client.model.system
    principal = Principal(account, acting_for, session, int(session.auth_time.timestamp()),
                          amr=tuple(account_services.login_methods(request)))
    response = server.create_authorization_response(request, grant_user=principal, grant=grant)
    if response.status_code == 302 and "code=" in response.get("Location", ""):
        steps.spend_new_login(request, key)
        with transaction.atomic(savepoint=False):  # one commit; inside a login's own, no savepoint
            sessions.join(session, grant.client.model, subject=claims.subject(acting_for or account),
                          acting_for=acting_for)
            record(Event.SSO_SIGN_ON, account=account, actor=account, ip=client_ip(request), system=system.code,
                   protocol="oidc", acting_for=acting_for.login_name if acting_for else "")
    return _with_iss(response)


def answer_after_login(request, next_url: str):
    """A login interrupted an authorization request: the login answers it (steps.answer_after_login)."""
    return steps.answer_after_login(request, next_url, reverse("oidc-authorize"), _authorize)


def _too_old(data, session) -> bool:
    max_age = data.get("max_age", "")
    if not max_age.isdigit():
        return False
    return (timezone.now() - session.auth_time).total_seconds() > int(max_age)


class EndSession(EndSessionEndpoint):
    def get_server_jwks(self):
        return keys.public_keys()

    def _validate_id_token_hint(self, id_token_hint: str) -> dict:
        """Authlib's check reads the JWKS through joserfc, which knows no SM2: an SM2 hint is
        checked by keys.verify, with the same rule (the signature is ours; expiry does not matter)."""
        if keys.header_of(id_token_hint).get("alg") != "SM2":
            return super()._validate_id_token_hint(id_token_hint)
        try:
            return keys.verify(id_token_hint, algorithms=["SM2"])[1]
        except keys.Invalid as exc:
            raise InvalidRequestError("The id_token_hint is not an ID token of this platform") from exc

    def get_algorithms(self):
        return keys.ID_TOKEN_ALGS

    def resolve_client_from_id_token_claims(self, id_token_claims):
        aud = id_token_claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:  # our ID tokens carry aud as a one-entry list
            aud = aud[0]
        return self.server.query_client(aud) if isinstance(aud, str) else None

    def end_session(self, end_session_request):
        request = end_session_request.request._request
        account_services.log_out(request, ip=client_ip(request), via="oidc")


server.register_endpoint(EndSession)


@csrf_exempt
def end_session(request):
    """RP-initiated logout. Without a valid id_token_hint the user confirms on our page."""
    try:
        validated = server.validate_endpoint_request("end_session", request)
    except OAuth2Error as error:
        return _protocol_error_page(request, error)
    hint = validated.id_token_claims
    if hint is not None and hint.get("iss") != settings.IDP_ISSUER:
        return render(request, "sso/error.html", {"error": "invalid_request",
                                                  "description": _("id_token_hint 不是本平台签发的")}, status=400)
    # Only a hint from this browser's own SSO session may log it out without asking: an ID
    # token of another session (anyone's, from anywhere) would make this a cross-site logout.
    hinted_sid = (hint or {}).get("sid")
    own_session = hinted_sid is not None and hinted_sid == sessions.current_sid(request)
    if validated.needs_confirmation or (request.user.is_authenticated and not own_session):
        return render(request, "sso/confirm_logout.html", {})
    response = server.create_endpoint_response("end_session", validated)
    if response is not None:
        return response
    messages.info(request, _("您已安全退出登录"))
    return redirect("login")
