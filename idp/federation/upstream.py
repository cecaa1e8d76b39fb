"""The relying party's half of OpenID Connect, towards an upstream provider: discovery, the
authorization request (state, nonce, PKCE S256), the code exchange, the ID token's checks, the
userinfo call and the back-channel logout token's checks.

What the upstream publishes (its discovery document and JWKS) is kept in the shared cache for an
hour; a token signed with a key we do not know makes us fetch the JWKS again at once (the
upstream rotated its keys), at most once a minute per upstream, so forged tokens cannot make us
hammer it."""

import hashlib
import logging
import secrets
import time
from urllib.parse import urlencode

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from idp.core import metrics, ratelimit
from idp.core.errors import Refused
from idp.federation.models import IdentityProvider

log = logging.getLogger(__name__)

TIMEOUT = 8  # seconds for each call to the upstream
CACHED_SECONDS = 3600
CLOCK_SKEW = 120
# Asymmetric signatures only: `none` and HS* (a shared secret anyone holding it could forge with)
# are never accepted, whatever the upstream advertises.
SIGNING_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class UpstreamError(Refused):
    """The upstream could not be used for this login; `code` says why (the failure page words it)."""


UNAVAILABLE = _("%(name)s 暂时无法访问,请稍后再试,或使用本平台的账号密码登录")
REJECTED = _("%(name)s 返回的登录结果未通过校验,请重新登录,或使用本平台的账号密码登录")
CODE_REFUSED = _("%(name)s 的登录结果已使用或已过期,请重新登录")


def failed(provider: IdentityProvider, message, code: str, detail: str) -> UpstreamError:
    log.warning("federation login through %s failed (%s): %s", provider.code, code, detail[:300])
    metrics.FEDERATION_FAILURES.labels(provider.code, code).inc()
    return UpstreamError(message % {"name": provider.name}, code=code)


def _get_json(provider: IdentityProvider, url: str, **kwargs) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise failed(provider, UNAVAILABLE, "unavailable", f"{url}: {exc}") from None
    if not isinstance(document, dict):
        raise failed(provider, UNAVAILABLE, "unavailable", f"{url}: not a JSON object")
    return document


def _cache_key(provider: IdentityProvider, what: str) -> str:
    issuer = hashlib.sha256(provider.issuer.encode()).hexdigest()[:16]
    return f"federation:{what}:{provider.code}:{issuer}"


def forget(provider: IdentityProvider) -> None:
    """Fetch the discovery document and keys again at next use (the provider was changed)."""
    cache.delete_many([_cache_key(provider, "meta"), _cache_key(provider, "jwks")])


def metadata(provider: IdentityProvider) -> dict:
    """The upstream's discovery document, whose `issuer` must be the one registered."""
    key = _cache_key(provider, "meta")
    document = cache.get(key)
    if document is None:
        document = _get_json(provider, provider.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if document.get("issuer") != provider.issuer:
            raise failed(provider, UNAVAILABLE, "discovery", f"issuer {document.get('issuer')!r}")
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(endpoint), str):
                raise failed(provider, UNAVAILABLE, "discovery", f"no {endpoint}")
        cache.set(key, document, CACHED_SECONDS)
    return document


def _keys(provider: IdentityProvider, *, fresh: bool = False) -> KeySet:
    key = _cache_key(provider, "jwks")
    document = None if fresh else cache.get(key)
    if document is None:
        document = _get_json(provider, metadata(provider)["jwks_uri"])
        cache.set(key, document, CACHED_SECONDS)
    try:
        return KeySet.import_key_set({"keys": [k for k in document.get("keys", []) if k.get("use", "sig") == "sig"]})
    except (JoseError, ValueError, TypeError, AttributeError) as exc:
        raise failed(provider, UNAVAILABLE, "jwks", str(exc)) from None


def _decode(provider: IdentityProvider, token: str, what: str):
    """The token's signature checked against the upstream's keys (fetched again once if the
    key is new to us)."""
    algorithms = [a for a in metadata(provider).get("id_token_signing_alg_values_supported", ["RS256"])
                  if a in SIGNING_ALGS]
    try:
        try:
            return jwt.decode(token, _keys(provider), algorithms=algorithms)
        except InvalidKeyIdError:
            if not ratelimit.allow("federation-jwks", provider.code, limit=1, window=60):
                raise
            return jwt.decode(token, _keys(provider, fresh=True), algorithms=algorithms)
    except (JoseError, ValueError, TypeError) as exc:
        raise failed(provider, REJECTED, "signature", f"{what}: {exc}") from None


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def _with_query(endpoint: str, params: dict) -> str:
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def authorization_url(provider: IdentityProvider, *, state: str, nonce: str, challenge: str, language: str) -> str:
    params = {"response_type": "code", "client_id": provider.client_id, "redirect_uri": provider.redirect_uri,
              "scope": provider.scopes, "state": state, "nonce": nonce, "code_challenge": challenge,
              "code_challenge_method": "S256", "ui_locales": "en" if language.startswith("en") else "zh-CN"}
    return _with_query(metadata(provider)["authorization_endpoint"], params)


def check_response_issuer(provider: IdentityProvider, iss: str | None) -> None:
    """RFC 9207: an authorization response naming another issuer is a mix-up attack; one that
    names none, from an upstream that promised to, too."""
    promised = metadata(provider).get("authorization_response_iss_parameter_supported") is True
    if (iss is not None and iss != provider.issuer) or (iss is None and promised):
        raise failed(provider, REJECTED, "issuer", f"iss parameter {iss!r}")


def exchange(provider: IdentityProvider, *, code: str, verifier: str) -> dict:
    """The code exchanged at the token endpoint (client_secret_basic unless the upstream takes
    only client_secret_post)."""
    document = metadata(provider)
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": provider.redirect_uri,
            "code_verifier": verifier}
    methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    auth = None
    if "client_secret_basic" in methods or "client_secret_post" not in methods:
        auth = (provider.client_id, provider.client_secret)
    else:
        body.update(client_id=provider.client_id, client_secret=provider.client_secret)
    try:
        response = requests.post(document["token_endpoint"], data=body, auth=auth, timeout=TIMEOUT,
                                 headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise failed(provider, UNAVAILABLE, "unavailable", f"token endpoint: {exc}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code == 400 and answer.get("error") == "invalid_grant":
        raise failed(provider, CODE_REFUSED, "code", str(answer.get("error_description", "")))
    if response.status_code != 200 or not isinstance(answer.get("id_token"), str):
        code = "unavailable" if response.status_code >= 500 else "token"
        raise failed(provider, UNAVAILABLE if code == "unavailable" else REJECTED, code,
                    f"token endpoint answered {response.status_code}: {str(answer.get('error', ''))[:100]}")
    return answer


def _audience_is_us(provider: IdentityProvider, claims: dict) -> bool:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if provider.client_id not in audiences:
        return False
    azp = claims.get("azp")
    return azp == provider.client_id if (azp is not None or len(audiences) > 1) else True


def _shown(claims: dict, name: str) -> str:
    """A wrong claim's value for the log — only those that are no secret and no person's data."""
    return f": {claims.get(name)!r}" if name in ("iss", "aud", "exp", "iat") else ""


def verify_id_token(provider: IdentityProvider, token: str, *, nonce: str) -> dict:
    """OIDC Core 3.1.3.7: signature, iss, aud/azp, exp, iat, nonce, sub."""
    claims = _decode(provider, token, "id_token").claims
    now = time.time()
    problems = [
        ("iss", claims.get("iss") != provider.issuer),
        ("aud", not _audience_is_us(provider, claims)),
        ("exp", not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - CLOCK_SKEW),
        ("iat", not isinstance(claims.get("iat"), int | float) or claims["iat"] > now + CLOCK_SKEW),
        ("nonce", claims.get("nonce") != nonce),
        ("sub", not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255),
    ]
    for name, wrong in problems:
        if wrong:
            raise failed(provider, REJECTED, name, f"id_token {name}{_shown(claims, name)}")
    return claims


def userinfo(provider: IdentityProvider, *, access_token: str, subject: str) -> dict:
    """The userinfo claims, if the upstream has the endpoint; its `sub` must be the ID token's."""
    endpoint = metadata(provider).get("userinfo_endpoint")
    if not endpoint or not access_token:
        return {}
    claims = _get_json(provider, endpoint, headers={"Authorization": f"Bearer {access_token}"})
    if claims.get("sub") != subject:
        raise failed(provider, REJECTED, "userinfo", "userinfo sub differs from the ID token's")
    return claims


def verify_logout_token(provider: IdentityProvider, token: str) -> dict:
    """OIDC Back-Channel Logout 2.6: signature, iss, aud, iat, jti (once), the event, sid or sub,
    and no nonce."""
    claims = _decode(provider, token, "logout_token").claims
    events = claims.get("events")
    problems = [
        ("iss", claims.get("iss") != provider.issuer),
        ("aud", not _audience_is_us(provider, claims)),
        ("iat", not isinstance(claims.get("iat"), int | float) or abs(claims["iat"] - time.time()) > 600),
        ("events", not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict)),
        ("sid", not (isinstance(claims.get("sid"), str) or isinstance(claims.get("sub"), str))),
        ("nonce", "nonce" in claims),
        ("jti", not isinstance(claims.get("jti"), str)
         or not cache.add(f"federation:jti:{provider.code}:{claims['jti'][:100]}", 1, 1200)),
    ]
    for name, wrong in problems:
        if wrong:
            raise failed(provider, REJECTED, f"logout_{name}", f"logout_token {name}{_shown(claims, name)}")
    return claims


def end_session_url(provider: IdentityProvider, *, id_token: str, after: str) -> str | None:
    """Where to send the browser so that the upstream ends its session too (RP-initiated logout),
    if it offers that."""
    try:
        endpoint = metadata(provider).get("end_session_endpoint")
    except UpstreamError:
        return None
    if not isinstance(endpoint, str):
        return None
    return _with_query(endpoint, {"id_token_hint": id_token, "post_logout_redirect_uri": after,
                                  "client_id": provider.client_id})

