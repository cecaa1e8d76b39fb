"""Authlib's OAuth 2.0 / OpenID Connect machinery glued to our models.

Authlib does the protocol: request validation, client authentication, PKCE, error responses,
ID-token assembly. This module supplies the storage and identity answers it asks for.
"""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from authlib.oauth2 import AuthorizationServer as _AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin, TokenMixin
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.grants.util import create_half_hash
from django.conf import settings
from django.http import HttpResponse

from idp.core import gm
from idp.delegation import policy
from idp.oidc import families, tokens
from idp.oidc.requests import AuthlibRequest
from idp.sso import claims, clients, jws, keys
from idp.sso.claims import Party
from idp.sso.models import Client, SsoSession

SCOPES = ["openid", "profile"]
CONFIDENTIAL_AUTH = ["client_secret_basic", "client_secret_post"]


class OAuthClient(ClientMixin):
    """What Authlib needs to know about a registered business system."""

    def __init__(self, model: Client):
        self.model = model
        self.client_id = model.client_id
        self.redirect_uris = model.redirect_uri_list()
        self.id_token_signed_response_alg = model.id_token_alg
        self.client_metadata = {"post_logout_redirect_uris": model.post_logout_uri_list()}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris  # exact match, never a prefix

    def check_client_secret(self, client_secret):
        return clients.secret_matches(self.model, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if self.model.is_public:
            return method == "none" and endpoint == "token"
        return method in CONFIDENTIAL_AUTH

    def check_response_type(self, response_type):
        return response_type == "code" and bool(self.redirect_uris)

    def check_grant_type(self, grant_type):
        if grant_type in ("authorization_code", "refresh_token"):
            return bool(self.redirect_uris)
        return grant_type == "client_credentials" and not self.model.is_public


@dataclass
class Principal:
    """The signed-in account, and the organisation it acts for (None: itself)."""

    account: Party
    acting_for: Party | None
    session: SsoSession | None
    auth_time: int
    family_pk: int | None = None
    refresh_token: str | None = None  # stored with the family in the same statement
    amr: tuple = ("pwd",)  # how the login was proven (RFC 8176), for the ID token


class IssuedCode(AuthorizationCodeMixin):
    def __init__(self, code: str, data: dict):
        self.code, self.data = code, data

    def get_redirect_uri(self):
        return self.data["redirect_uri"]

    def get_scope(self):
        return self.data["scope"]

    def get_nonce(self):
        return self.data.get("nonce")

    def get_auth_time(self):
        return self.data["auth_time"]

    def get_acr(self):
        return None

    def get_amr(self):
        return self.data.get("amr") or ["pwd"]


class IssuedToken(TokenMixin):
    """An access token's claims or a refresh token row, for introspection and revocation."""

    def __init__(self, *, access: dict | None = None, refresh=None):
        self.access, self.refresh = access, refresh

    def check_client(self, client):
        if self.access is not None:
            return self.access["client_id"] == client.client_id
        return self.refresh.authorization.client_id == client.model.pk

    def get_scope(self):
        return self.access["scope"] if self.access else self.refresh.authorization.scope

    def get_expires_in(self):
        return 0

    def is_expired(self):
        return False  # read_access_token / refresh look-up already refused expired tokens

    def is_revoked(self):
        return False

    def get_user(self):
        return None

    def get_client(self):
        return None


def _principal_for(family: families.Family, client: Client, refresh_token: str,
                   session: SsoSession | None = None) -> Principal | None:
    """The principal of a family, if it may still be used: live family, active account, and
    for an organisation a grant still in force."""
    if family.revoked or not policy.may_continue(account=family.account, acting_for=family.acting_for,
                                                 system=client.system):
        return None
    acting_for = family.acting_for
    return Principal(family.account, acting_for, session, int(family.auth_time.timestamp()), family.pk,
                     refresh_token)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH + ["none"]

    def save_authorization_code(self, code, request):
        user: Principal = request.user
        data = request.payload.data
        tokens.save_code(code, {
            "client_id": request.client.client_id, "redirect_uri": request.payload.redirect_uri,
            "scope": request.scope or "", "nonce": data.get("nonce"),
            "code_challenge": data.get("code_challenge"),
            "code_challenge_method": data.get("code_challenge_method"),
            "account": user.account.pk, "acting_for": user.acting_for.pk if user.acting_for else None,
            "sid": user.session.sid if user.session else None, "auth_time": user.auth_time,
            "amr": list(user.amr),
        })

    def query_authorization_code(self, code, client):
        data = tokens.take_code(code)
        if data is None or data["client_id"] != client.client_id:
            return None
        return IssuedCode(code, data)

    def delete_authorization_code(self, authorization_code):
        pass  # taken (deleted) when it was looked up: codes are single-use even under races

    def authenticate_user(self, authorization_code: IssuedCode):
        data = authorization_code.data
        session = SsoSession.objects.filter(sid=data["sid"]).first() if data["sid"] else None
        if session is not None and session.ended_at:
            return None  # logged out between the redirect and the exchange
        refresh_token, refresh_digest = tokens.new_refresh_token()
        family = families.open_family(
            client_pk=self.request.client.model.pk, account_pk=data["account"], acting_for_pk=data["acting_for"],
            session_pk=session.pk if session else None, scope=data["scope"],
            auth_time=datetime.fromtimestamp(data["auth_time"], tz=UTC), refresh_digest=refresh_digest)
        tokens.mark_code_used(authorization_code.code, family.pk)
        return _principal_for(family, self.request.client.model, refresh_token, session)


class Pkce(CodeChallenge):
    """S256 only (RFC 7636 §4.4.1: a method the server does not support is refused, and a
    missing method would mean `plain`), and required of every public client."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("code_challenge_method is required; only S256 is supported")
        if grant.request.client.model.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("public clients must send a PKCE code_challenge (S256)")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.data.get("code_challenge")

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.data.get("code_challenge_method")


class RefreshCredential(TokenMixin):
    def __init__(self, family: families.Family, successor: str):
        self.family, self.successor = family, successor

    def check_client(self, client):
        return self.family.client_pk == client.model.pk

    def get_scope(self):
        return self.family.scope

    def get_expires_in(self):
        return settings.IDP_REFRESH_TOKEN_SECONDS

    def is_expired(self):
        return False

    def is_revoked(self):
        return False


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH + ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        client_pk = self.request.client.model.pk
        if requested := self.request.payload.scope:
            # A refusal must not change state (RFC 6749 §5.2): the scope is checked before the
            # token is spent (a look-up only when a scope is asked for, which is rare).
            granted = tokens.refresh_token_scope(refresh_token, client_pk)
            if granted is not None and not set(requested.split()) <= set(granted.split()):
                raise InvalidScopeError()
        spent = tokens.use_refresh_token(refresh_token, client_pk)
        return RefreshCredential(*spent) if spent else None

    def authenticate_user(self, credential: RefreshCredential):
        principal = _principal_for(credential.family, self.request.client.model, credential.successor)
        if principal is None:
            tokens.revoke_family(credential.family.pk, reason="access_withdrawn")
            raise InvalidGrantError("The account may no longer use this grant.")
        return principal

    def revoke_old_credential(self, refresh_token):
        pass  # spent by authenticate_refresh_token (compare-and-set)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def validate_requested_scope(self):
        """RFC 6749 §5.2: a scope the platform does not know is refused, not silently dropped."""
        if not set((self.request.payload.scope or "").split()) <= set(SCOPES):
            raise InvalidScopeError()


class IdToken(OpenIDCode):
    def get_client_algorithm(self, client):
        return client.id_token_signed_response_alg

    def encode_id_token(self, token, request):
        """Authlib's claims (its standard ones, the code's nonce and auth_time, at_hash, the user's),
        signed like every token the platform makes (sso/jws.py)."""
        key = keys.signing_key(request.client.id_token_signed_response_alg)
        claims = self.get_compatible_claims(request)
        if request.authorization_code:
            claims.update(self.get_authorization_code_claims(request.authorization_code))
        if access_token := token.get("access_token"):
            claims["at_hash"] = (gm.half_hash(access_token) if key.alg == "SM2"
                                 else create_half_hash(access_token, key.alg).decode())
        claims.update(self.generate_user_info(request.user, token["scope"]))
        return jws.sign(claims, key, typ="JWT")

    def get_client_claims(self, client):
        return {"iss": settings.IDP_ISSUER, "aud": [client.client_id],
                "iat": int(time.time()), "exp": int(time.time()) + settings.IDP_ID_TOKEN_SECONDS}

    def exists_nonce(self, nonce, request):
        return False  # a nonce binds the ID token to the client's session; the client checks it

    def generate_user_info(self, user: Principal, scope):
        info = claims.identity_claims(user.account, user.acting_for)
        if user.session is not None:
            info["sid"] = user.session.sid
        return info


def _known_hint(hint):
    """RFC 7662 §2.1 / RFC 7009 §2.1: a hint the server does not know is ignored, not refused."""
    return hint if hint in ("access_token", "refresh_token") else None


def _require_token(endpoint, request, client):
    """check_params of introspection and revocation: a token, and no refusal of unknown hints."""
    if "token" not in request.form:
        raise InvalidRequestError()


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH
    check_params = _require_token

    def query_token(self, token_string, token_type_hint):
        if _known_hint(token_type_hint) != "refresh_token":
            if access := tokens.read_access_token(token_string):
                return IssuedToken(access=access)
        if refresh := tokens.active_refresh_token(token_string):
            return IssuedToken(refresh=refresh)
        return None

    def check_permission(self, token, client, request):
        return token.check_client(client)  # a business system introspects its own tokens

    def introspect_token(self, token: IssuedToken):
        if token.access is not None:
            payload = {k: v for k, v in token.access.items() if k not in ("gid",)}
            payload["token_type"] = "Bearer"
            return {"active": True, **payload}
        authorization = token.refresh.authorization
        return {"active": True, "token_type": "refresh_token", "client_id": authorization.client.client_id,
                "scope": authorization.scope, "exp": int(token.refresh.expires_at.timestamp()),
                "iat": int(token.refresh.created_at.timestamp()), "iss": settings.IDP_ISSUER,
                **claims.identity_claims(authorization.account, authorization.acting_for)}


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH + ["none"]
    check_params = _require_token

    def authenticate_endpoint_client(self, request):
        return self.server.authenticate_client(request, self.CLIENT_AUTH_METHODS, "token")

    def query_token(self, token_string, token_type_hint):
        if _known_hint(token_type_hint) != "refresh_token" and (access := tokens.read_access_token(token_string)):
            return IssuedToken(access=access)
        if refresh := tokens.active_refresh_token(token_string):
            return IssuedToken(refresh=refresh)
        return None

    def revoke_token(self, token: IssuedToken, request):
        if token.access is not None:
            tokens.revoke_access_token(token.access)
        else:
            tokens.revoke_family(token.refresh.authorization_id, reason="revoked_by_client")


class Server(_AuthorizationServer):
    def __init__(self):
        super().__init__()  # unknown scopes are dropped (get_allowed_scope), not refused
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [Pkce(required=True), IdToken(require_nonce=False)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Introspection)
        self.register_endpoint(Revocation)

    def query_client(self, client_id):
        model = clients.by_client_id(client_id)
        return OAuthClient(model) if model else None

    def save_token(self, token, request):
        pass  # access tokens are self-contained; refresh tokens were stored when generated

    def create_oauth2_request(self, request):
        return request if isinstance(request, OAuth2Request) else AuthlibRequest(request)

    def handle_response(self, status_code, payload, headers):
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False) if isinstance(payload, dict) \
            else payload
        response = HttpResponse(body, status=status_code)
        for name, value in headers:
            if name == "WWW-Authenticate" and value.startswith("Basic ") and "realm=" not in value:
                value = f'Basic realm="{settings.IDP_ISSUER}", {value[6:]}'  # RFC 7617 §2: realm is required
            response[name] = value
        return response

    def send_signal(self, name, *args, **kwargs):
        pass

    def _generate_token(self, grant_type, client, user=None, scope=None, expires_in=None,
                        include_refresh_token=True):
        scope = client.get_allowed_scope(scope)
        alg = tokens.access_alg(client.id_token_signed_response_alg)
        if user is None:
            access, lifetime = tokens.issue_access_token(client_id=client.client_id, scope=scope,
                                                         subject=client.client_id, alg=alg)
            token = {"token_type": "Bearer", "access_token": access, "expires_in": lifetime}
        else:
            identity = claims.identity_claims(user.account, user.acting_for)
            access, lifetime = tokens.issue_access_token(
                client_id=client.client_id, scope=scope, subject=identity["sub"], identity=identity,
                gid=user.family_pk, alg=alg)
            token = {"token_type": "Bearer", "access_token": access, "expires_in": lifetime}
            if include_refresh_token:
                token["refresh_token"] = user.refresh_token
        if scope:
            token["scope"] = scope
        return token


server = Server()
