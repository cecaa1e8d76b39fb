"""Access tokens, refresh tokens and their revocation.

Access tokens are JWTs (RFC 9068, `typ: at+jwt`) signed ES256 with the platform's key: a
business system may check them against the JWKS, or ask the introspection endpoint, which
also knows about revocation. They carry the same identity claims as the ID token, and `gid`,
the Authorization they were issued under (absent for client_credentials).

Refresh tokens are opaque 256-bit strings stored as SHA-256 digests, rotated on each use;
a used one presented again revokes its Authorization (the family) — RFC 9700 §4.14.2.

Revocation state is written to the database and mirrored in Redis (when configured) so the
check on every introspection/userinfo call is one MGET; without Redis it is one query.
"""

import hashlib
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError

from idp.oidc.models import Authorization, RefreshToken, RevokedAccessToken
from idp.sso import keys, store

ACCESS_ALG = "ES256"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- access tokens ---

def issue_access_token(*, client_id: str, scope: str, subject: str, identity: dict | None = None,
                       gid: int | None = None) -> tuple[str, int]:
    now = int(time.time())
    lifetime = settings.IDP_ACCESS_TOKEN_SECONDS
    body = {"iss": settings.IDP_ISSUER, "sub": subject, "aud": client_id, "client_id": client_id,
            "iat": now, "exp": now + lifetime, "jti": secrets.token_urlsafe(16), "scope": scope}
    if identity:
        body.update({k: v for k, v in identity.items() if k != "sub"})
    if gid is not None:
        body["gid"] = gid
    key = keys.signing_key(ACCESS_ALG)
    token = jwt.encode({"alg": ACCESS_ALG, "kid": key.kid, "typ": "at+jwt"}, body, key, algorithms=[ACCESS_ALG])
    return token, lifetime


def read_access_token(token: str) -> dict | None:
    """The claims of a valid, unexpired, unrevoked access token of this platform; else None."""
    if not token or len(token) > 8192 or token.count(".") != 2:
        return None
    try:
        decoded = jwt.decode(token, keys.public_keys(), algorithms=[ACCESS_ALG])
    except (JoseError, ValueError, TypeError):
        return None
    claims = decoded.claims
    if decoded.header.get("typ") != "at+jwt" or claims.get("iss") != settings.IDP_ISSUER:
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= time.time() or not isinstance(claims.get("jti"), str):
        return None
    if is_revoked(claims["jti"], claims.get("gid")):
        return None
    return claims


# --- refresh tokens ---

def issue_refresh_token(authorization: Authorization) -> str:
    token = secrets.token_urlsafe(32)
    RefreshToken.objects.create(digest=digest(token), authorization=authorization,
                                expires_at=timezone.now() + timedelta(seconds=settings.IDP_REFRESH_TOKEN_SECONDS))
    return token


def use_refresh_token(token: str, client_pk: int) -> RefreshToken | None:
    """Spend a refresh token (compare-and-set). A token spent before — or raced — revokes its
    family and gives None, as do unknown, expired, revoked or other clients' tokens."""
    if not token or len(token) > 200:
        return None
    row = RefreshToken.objects.select_related("authorization").filter(digest=digest(token)).first()
    if row is None or row.authorization.client_id != client_pk:
        return None
    family = row.authorization
    if family.revoked_at or row.expires_at <= timezone.now():
        return None
    if row.used_at or not RefreshToken.objects.filter(pk=row.pk, used_at__isnull=True).update(
            used_at=timezone.now()):
        revoke_authorization(family, reason="refresh_reuse")
        return None
    return row


def active_refresh_token(token: str) -> RefreshToken | None:
    """For introspection and revocation: the unspent, unexpired token of a live family."""
    if not token or len(token) > 200:
        return None
    row = (RefreshToken.objects.select_related("authorization__client", "authorization__account",
                                               "authorization__acting_for")
           .filter(digest=digest(token), used_at__isnull=True, expires_at__gt=timezone.now(),
                   authorization__revoked_at__isnull=True).first())
    return row


# --- revocation ---

def _redis():
    return store._client()


_LOADED = "idp:rv:loaded"


def _mirror_jti(r, jti: str, ttl: int):
    r.set(f"idp:rv:j:{jti}", 1, ex=max(ttl, 1))


def _mirror_gid(r, gid: int):
    r.set(f"idp:rv:g:{gid}", 1, ex=settings.IDP_ACCESS_TOKEN_SECONDS + 60)


def _rebuild_mirror(r) -> None:
    """After a Redis restart: copy the revocations that still matter from the database."""
    now = timezone.now()
    for jti, expires in RevokedAccessToken.objects.filter(expires_at__gt=now).values_list("jti", "expires_at"):
        _mirror_jti(r, jti, int((expires - now).total_seconds()))
    recent = now - timedelta(seconds=settings.IDP_ACCESS_TOKEN_SECONDS + 60)
    for gid in Authorization.objects.filter(revoked_at__gt=recent).values_list("pk", flat=True):
        _mirror_gid(r, gid)
    r.set(_LOADED, 1)


def is_revoked(jti: str, gid) -> bool:
    r = _redis()
    if r is not None:
        marker, by_jti, by_gid = r.mget(_LOADED, f"idp:rv:j:{jti}", f"idp:rv:g:{gid}")
        if marker is not None:
            return by_jti is not None or (gid is not None and by_gid is not None)
        _rebuild_mirror(r)
    if RevokedAccessToken.objects.filter(jti=jti).exists():
        return True
    return gid is not None and Authorization.objects.filter(pk=gid, revoked_at__isnull=False).exists()


def revoke_access_token(claims: dict) -> None:
    expires = timezone.now() + timedelta(seconds=max(int(claims["exp"] - time.time()), 0))
    RevokedAccessToken.objects.get_or_create(jti=claims["jti"], defaults={"expires_at": expires})
    if (r := _redis()) is not None:
        _mirror_jti(r, claims["jti"], int(claims["exp"] - time.time()))


def revoke_authorization(authorization: Authorization, *, reason: str) -> None:
    """The whole family: its refresh tokens and the access tokens issued under it."""
    Authorization.objects.filter(pk=authorization.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason)
    if (r := _redis()) is not None:
        _mirror_gid(r, authorization.pk)


def revoke_for_session(sender, session, **kwargs) -> None:
    """The SSO session ended: its tokens end with it."""
    with transaction.atomic():
        for authorization in Authorization.objects.filter(session=session, revoked_at__isnull=True):
            revoke_authorization(authorization, reason="session_ended")


# --- authorization codes (single use; the used marker lets a replay revoke the family) ---

CODE_SECONDS = 60


def save_code(code: str, data: dict) -> None:
    store.put("code:" + digest(code), data, CODE_SECONDS)


def take_code(code: str) -> dict | None:
    if not code or len(code) > 200:
        return None
    key = digest(code)
    data = store.take("code:" + key)
    if data is None:
        replay = store.get("code-used:" + key)
        if replay and (family := Authorization.objects.filter(pk=replay["gid"]).first()):
            revoke_authorization(family, reason="code_reuse")
    return data


def mark_code_used(code: str, authorization: Authorization) -> None:
    store.put("code-used:" + digest(code), {"gid": authorization.pk}, 10 * CODE_SECONDS)


