"""Signing keys: RS256 (every ID token unless the client asked for ES256) and ES256 (access
tokens, and ID tokens of clients that chose it), and SM2 (every token of a client registered
with `--signing-alg SM2`, core/gm.py), with rotation.

Each process keeps the key ring in memory: a rotation is announced to every process at once
(core/broadcast.py); a process that may have missed it reloads the ring every second, and
every process reloads every RELOAD_SECONDS regardless. `rotate()` publishes new keys
IDP_KEY_PUBLISH_SECONDS before they sign, which must be longer than both that and the clients'
JWKS cache, so no process ever signs with a key a business system cannot know yet.
"""

import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.util import urlsafe_b64decode

from idp.core import broadcast, gm, process_copies
from idp.sso.models import Client, IdTokenAlg, SigningKey

RELOAD_SECONDS = 60
JWKS_MAX_AGE = 300  # how long business systems may cache the JWKS (its Cache-Control)
ID_TOKEN_ALGS = list(IdTokenAlg.values)  # what a token we signed may carry as its alg
TOPIC = "keys"  # announced when the key rows change


def _generate(alg: str, kid: str):
    params = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == IdTokenAlg.RS256:
        return RSAKey.generate_key(2048, parameters=params, private=True)
    if alg == IdTokenAlg.SM2:
        return gm.Sm2Key.generate(kid)
    return ECKey.generate_key("P-256", parameters=params, private=True)


def _import(alg: str, jwk: dict):
    if alg == IdTokenAlg.SM2:
        return gm.Sm2Key.import_key(jwk)
    return (RSAKey if alg == IdTokenAlg.RS256 else ECKey).import_key(jwk)


def _create(alg: str, active_from) -> SigningKey:
    kid = f"{alg.lower()}-{timezone.now():%Y%m%d}-{secrets.token_hex(4)}"
    key = _generate(alg, kid)
    return SigningKey.objects.create(kid=kid, alg=alg, active_from=active_from,
                                     private_jwk=json.dumps(key.as_dict(private=True)))


def longest_token_seconds() -> int:
    return max(settings.IDP_ID_TOKEN_SECONDS, settings.IDP_ACCESS_TOKEN_SECONDS)


class LeadTooShort(ValueError):
    """A rotation whose new keys would sign before every cached JWKS has expired."""


def _sm2_in_use() -> bool:
    """The SM2 keys are published only while a business system signs with them: JOSE libraries that
    do not know the curve (joserfc, and with it Authlib's clients) refuse a whole JWKS that has one."""
    return Client.objects.filter(id_token_alg=IdTokenAlg.SM2).exists()


def client_saved(sender, instance, **_) -> None:
    """A client was saved or deleted: one signing SM2 may add the SM2 keys to the JWKS, or the last
    one take them away (every process reloads its ring)."""
    if instance.id_token_alg == IdTokenAlg.SM2 or (_ring is not None and _ring.sm2):
        changed()


ENSURE_LOCK = 7_372_002  # any fixed number: nodes that start together make the first keys one at a time
CLOCK_SKEW_SECONDS = 300


def ensure_keys() -> None:
    """A signing key for each algorithm, usable now (first start). Nodes starting together on an
    empty table take turns (a PostgreSQL advisory lock), so one set is made; any process that did
    make keys tells the others, which reload their rings and so know every key that may sign."""
    made = False
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ENSURE_LOCK])
        now = timezone.now()  # after the wait: the keys a node made meanwhile are usable by then
        for alg in IdTokenAlg.values:
            usable = SigningKey.objects.filter(alg=alg, active_from__lte=now).exclude(retired_at__lte=now)
            if not usable.exists():
                # Dated a little back, so that a node whose clock is behind this one's finds it usable too.
                _create(alg, now - timedelta(seconds=CLOCK_SKEW_SECONDS))
                made = True
        if made:
            broadcast.publish(TOPIC)  # after the commit


def rotate(*, lead_seconds: int | None = None, emergency: bool = False) -> list[SigningKey]:
    """New keys that sign after `lead_seconds`; the current ones retire then and stay
    published until their last token expires. Keys past that are deleted. A lead shorter than
    the JWKS cache would sign tokens that business systems holding a cached JWKS refuse, so it
    is refused — except in an `emergency` (a key is compromised), when any lead, 0 included, is
    taken."""
    lead = settings.IDP_KEY_PUBLISH_SECONDS if lead_seconds is None else lead_seconds
    if lead < JWKS_MAX_AGE and not emergency:
        raise LeadTooShort(f"--lead {lead}: business systems cache the JWKS for {JWKS_MAX_AGE} s; "
                           f"give at least {JWKS_MAX_AGE}, or --emergency for a compromised key")
    now = timezone.now()
    switch = now + timedelta(seconds=lead)
    created = []
    with transaction.atomic():
        SigningKey.objects.filter(expires_at__lte=now).delete()
        for alg in IdTokenAlg.values:
            SigningKey.objects.filter(alg=alg, retired_at__isnull=True).update(
                retired_at=switch, expires_at=switch + timedelta(seconds=longest_token_seconds() + 60))
            created.append(_create(alg, switch))
        changed()
    return created


@dataclass(frozen=True)
class _Ring:
    signing: dict  # alg -> joserfc key (SM2: core.gm.Sm2Key)
    public: KeySet  # the joserfc keys (ES256, RS256)
    sm2: dict  # kid -> core.gm.Sm2Key, the SM2 keys published
    kids: frozenset
    jwks_json: bytes
    loaded_at: float
    next_change: float  # monotonic time when a scheduled switch makes the ring stale


_ring: _Ring | None = None
_lock = threading.Lock()


def _load() -> _Ring:
    ensure_keys()
    now = timezone.now()
    rows = list(SigningKey.objects.exclude(expires_at__lte=now).order_by("-active_from"))
    signing, public, sm2, switches = {}, [], {}, []
    for row in rows:
        key = _import(row.alg, json.loads(row.private_jwk))
        if row.alg == IdTokenAlg.SM2:
            sm2[key.kid] = key
        else:
            public.append(key)
        in_use = row.active_from <= now and (row.retired_at is None or row.retired_at > now)
        if in_use and row.alg not in signing:
            signing[row.alg] = key
        switches += [t for t in (row.active_from, row.retired_at, row.expires_at) if t and t > now]
    if not _sm2_in_use():
        sm2 = {}
        signing.pop(IdTokenAlg.SM2, None)
    keyset = KeySet(public)
    published = keyset.as_dict(private=False)["keys"] + [key.as_dict() for key in sm2.values()]
    jwks = json.dumps({"keys": published}, separators=(",", ":")).encode()
    mono = time.monotonic()
    soonest = min(((t - now).total_seconds() for t in switches), default=RELOAD_SECONDS)
    kids = frozenset(key.kid for key in public) | frozenset(sm2)
    return _Ring(signing, keyset, sm2, kids, jwks, mono, mono + min(soonest, RELOAD_SECONDS))


def ring() -> _Ring:
    global _ring
    current, now = _ring, time.monotonic()
    if current is None or now >= current.next_change or (
            now >= current.loaded_at + 1 and not broadcast.copies_are_current()):
        with _lock:
            if _ring is current:
                _ring = _load()
            current = _ring
    return current


def reload(*_) -> None:
    global _ring
    with _lock:
        _ring = None


def changed() -> None:
    """The key rows changed: every process reloads its ring (after the commit)."""
    reload()
    broadcast.publish(TOPIC)
    transaction.on_commit(reload)  # this process too, once the new rows are visible


broadcast.subscribe(TOPIC, on_message=reload, on_subscribed=reload)
process_copies.register("signing keys", reload)


def signing_key(alg: str):
    return ring().signing[alg]


def public_keys() -> KeySet:
    return ring().public


def jwks_json() -> bytes:
    return ring().jwks_json


class Invalid(ValueError):
    """Not a token signed by one of the published keys with an allowed algorithm."""


def header_of(token: str) -> dict:
    """The JOSE header of a compact token, unverified ({} if it has none)."""
    try:
        header = json.loads(urlsafe_b64decode(token.split(".", 1)[0].encode()))
    except (ValueError, TypeError, UnicodeDecodeError, AttributeError):
        return {}
    return header if isinstance(header, dict) else {}


def verify(token: str, *, algorithms) -> tuple[dict, dict]:
    """(header, claims) of a compact JWS signed by one of the published keys with one of
    `algorithms`; Invalid otherwise. SM2 here (no JOSE library knows it), the others by joserfc."""
    try:
        head, body, signature = token.split(".")
        header = json.loads(urlsafe_b64decode(head.encode()))
        if not isinstance(header, dict):
            raise Invalid("header")
        if header.get("alg") == IdTokenAlg.SM2 and IdTokenAlg.SM2 in algorithms:
            key = ring().sm2.get(header.get("kid"))
            if key is None or not key.verify(f"{head}.{body}".encode(), urlsafe_b64decode(signature.encode())):
                raise Invalid("signature")
            claims = json.loads(urlsafe_b64decode(body.encode()))
            if not isinstance(claims, dict):
                raise Invalid("claims")
            return header, claims
        decoded = jwt.decode(token, public_keys(), algorithms=[a for a in algorithms if a != IdTokenAlg.SM2])
        return decoded.header, decoded.claims
    except (JoseError, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise Invalid(str(exc)) from None
