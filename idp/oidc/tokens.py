"""Access tokens, refresh tokens and their revocation.

Access tokens are JWTs (RFC 9068, `typ: at+jwt`) signed ES256 (SM2 for a business system
registered with `--signing-alg SM2`) with the platform's key: a
business system may check them against the JWKS, or ask the introspection endpoint, which
also knows about revocation. They carry the same identity claims as the ID token, and `gid`,
the Authorization they were issued under (absent for client_credentials).

Refresh tokens are opaque 256-bit strings stored as SHA-256 digests, rotated on each use;
a used one presented again revokes its Authorization (the family) — RFC 9700 §4.14.2.

Revocation is checked on every introspection and userinfo call (revocation.py).
"""

import contextvars
import hashlib
import secrets
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from idp.core import process_copies
from idp.oidc import families, revocation
from idp.oidc.models import Authorization, RefreshToken
from idp.sso import jws, keys, store

ACCESS_ALG = "ES256"
ACCESS_ALGS = [ACCESS_ALG, "SM2"]


def access_alg(signing_alg: str) -> str:
    """The access tokens' algorithm for a client whose tokens are signed `signing_alg`: SM2 for
    SM2 (国密 end to end), ES256 otherwise."""
    return "SM2" if signing_alg == "SM2" else ACCESS_ALG


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- access tokens ---

def issue_access_token(*, client_id: str, scope: str, subject: str, identity: dict | None = None,
                       gid: int | None = None, alg: str = ACCESS_ALG) -> tuple[str, int]:
    now = int(time.time())
    lifetime = settings.IDP_ACCESS_TOKEN_SECONDS
    body = {"iss": settings.IDP_ISSUER, "sub": subject, "aud": client_id, "client_id": client_id,
            "iat": now, "exp": now + lifetime, "jti": secrets.token_urlsafe(16), "scope": scope}
    if identity:
        body.update({k: v for k, v in identity.items() if k != "sub"})
    if gid is not None:
        body["gid"] = gid
    return jws.sign(body, keys.signing_key(alg), typ="at+jwt"), lifetime


_verified: dict[str, tuple[str, dict]] = {}  # token -> (kid, claims) whose signature was checked
VERIFIED_CACHE_SIZE = 20000
process_copies.register("verified access tokens", _verified.clear)


def _verified_claims(token: str) -> dict | None:
    """The claims of a token signed by one of our published keys. A business system presents
    the same token many times; its signature is checked once per process (the cache forgets
    a token whose key left the JWKS)."""
    hit = _verified.get(token)
    if hit is not None and hit[0] in keys.ring().kids:
        return hit[1]
    try:
        header, claims = keys.verify(token, algorithms=ACCESS_ALGS)
    except keys.Invalid:
        return None
    if header.get("typ") != "at+jwt" or claims.get("iss") != settings.IDP_ISSUER:
        return None
    if len(_verified) >= VERIFIED_CACHE_SIZE:
        _verified.clear()
    _verified[token] = (header.get("kid"), claims)
    return claims


def read_access_token(token: str) -> dict | None:
    """The claims of a valid, unexpired, unrevoked access token of this platform; else None."""
    if not token or len(token) > 8192 or token.count(".") != 2:
        return None
    claims = _verified_claims(token)
    if claims is None:
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= time.time() or not isinstance(claims.get("jti"), str):
        return None
    if revocation.is_revoked(claims["jti"], claims.get("gid")):
        return None
    return claims


# --- refresh tokens ---

def new_refresh_token() -> tuple[str, str]:
    """A refresh token and the digest that is stored of it."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


_rotating = contextvars.ContextVar("refresh_token_being_spent", default=None)
ANSWER_LOST = "refresh-answer-lost:"


@contextmanager
def rotation_answer():
    """Around one token request: should it fail (a database failover, a dropped connection) after it
    began to spend a refresh token, the rotation may have committed while the client gets only a 503.
    The spent token is then remembered for REFRESH_REPLAY_GRACE_SECONDS, and its retry gets the
    rotation it missed (use_refresh_token) instead of being taken for reuse."""
    before = _rotating.set(None)
    try:
        yield
    except Exception:
        if (spent_digest := _rotating.get()) is not None:
            try:
                store.put(ANSWER_LOST + spent_digest, {}, settings.IDP_REFRESH_REPLAY_GRACE_SECONDS)
            except Exception:  # the store is down too: the retry is taken for reuse, as without this
                pass
        raise
    finally:
        _rotating.reset(before)


def use_refresh_token(token: str, client_pk: int) -> tuple[families.Family, str] | None:
    """Spend a refresh token: its family and its successor, or None. A token spent before also
    revokes its family — unless its spending's answer was lost (answer_lost) and its successor was
    never used: then this retry gets the rotation it missed (families.replay), and the chain goes on
    unforked. An ordinary reuse, even a second after the rotation, is refused."""
    if not token or len(token) > 200:
        return None
    spent_digest = digest(token)
    successor, successor_digest = new_refresh_token()
    _rotating.set(spent_digest)
    family = families.rotate(spent_digest=spent_digest, successor_digest=successor_digest, client_pk=client_pk)
    if family is None and store.get(ANSWER_LOST + spent_digest) is not None:
        family = families.replay(spent_digest=spent_digest, successor_digest=successor_digest, client_pk=client_pk,
                                 grace_seconds=settings.IDP_REFRESH_REPLAY_GRACE_SECONDS)
    if family is None:
        spent_before = (RefreshToken.objects.filter(digest=spent_digest, used_at__isnull=False,
                                                    authorization__client_id=client_pk)
                        .values_list("authorization_id", flat=True).first())
        if spent_before is not None:
            revoke_family(spent_before, reason="refresh_reuse")
        return None
    return family, successor


def refresh_token_scope(token: str, client_pk: int) -> str | None:
    """The scope of an unspent refresh token of this client's live family, without spending it."""
    if not token or len(token) > 200:
        return None
    return (RefreshToken.objects.filter(digest=digest(token), used_at__isnull=True, authorization__client_id=client_pk,
                                        authorization__revoked_at__isnull=True)
            .values_list("authorization__scope", flat=True).first())


def active_refresh_token(token: str) -> RefreshToken | None:
    """For introspection and revocation: the unspent, unexpired token of a live family."""
    if not token or len(token) > 200:
        return None
    row = (RefreshToken.objects.select_related("authorization__client", "authorization__account",
                                               "authorization__acting_for")
           .filter(digest=digest(token), used_at__isnull=True, expires_at__gt=timezone.now(),
                   authorization__revoked_at__isnull=True).first())
    return row


# --- revocation (the checks live in revocation.py) ---

def revoke_access_token(claims: dict) -> None:
    revocation.revoke_jti(claims["jti"], claims["exp"])


def revoke_family(family_pk: int, *, reason: str) -> None:
    """The whole family: its refresh tokens and the access tokens issued under it."""
    if Authorization.objects.filter(pk=family_pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason):
        revocation.revoke_gid(family_pk)


def revoke_for_session(event) -> None:
    """SessionEnded: the session's tokens end with it."""
    with transaction.atomic():
        for family_pk in Authorization.objects.filter(session=event.session, revoked_at__isnull=True).values_list(
                "pk", flat=True):
            revoke_family(family_pk, reason="session_ended")


def revoke_for_grant(event) -> None:
    """GrantEnded: the families acting under the grant end."""
    grant = event.grant
    families = Authorization.objects.filter(account_id=grant.person_id, acting_for_id=grant.organisation_id,
                                            client__system_id=grant.system_id, revoked_at__isnull=True)
    for family_pk in families.values_list("pk", flat=True):
        revoke_family(family_pk, reason="grant_ended")


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
        if replay := store.get("code-used:" + key):
            revoke_family(replay["gid"], reason="code_reuse")
    return data


def mark_code_used(code: str, family_pk: int) -> None:
    store.put("code-used:" + digest(code), {"gid": family_pk}, 10 * CODE_SECONDS)


