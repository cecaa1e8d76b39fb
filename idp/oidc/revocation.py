"""Is this access token revoked? — asked on every introspection and userinfo call.

The database holds the durable record (RevokedAccessToken, Authorization.revoked_at). With
Redis, each revocation is also written as a key that lives as long as the tokens it kills,
and announced to every process (core/broadcast.py), which keeps an in-memory copy, so the check
costs a dictionary look-up. Until a process has subscribed and loaded the keys (and whenever its
subscription drops) it asks Redis directly; after a Redis restart the keys are rebuilt from the
database first. Without Redis, or while it is unreachable, the
database is asked.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from idp.core import broadcast, process_copies
from idp.core.metrics import DEPENDENCY_ERRORS
from idp.oidc.models import Authorization, RevokedAccessToken

log = logging.getLogger(__name__)

TOPIC = "revoked"
LOADED = "idp:rv:loaded"  # present while the keys below are complete


def _key(kind: str, value) -> str:
    return f"idp:rv:{kind}:{value}"


def _gid_ttl() -> int:
    return settings.IDP_ACCESS_TOKEN_SECONDS + 60


class _Copy:
    """This process's copy of the revocations that still matter: (kind, value) -> until. Fed by
    the change announcements (core/broadcast.py) and trusted only while they are current."""

    def __init__(self):
        self.entries: dict[tuple[str, str], float] = {}
        self.loaded = False  # every key in Redis is in `entries` (since the last (re)subscription)
        self.generation = 0

    def add(self, kind: str, value, until: float) -> None:
        self.entries[(kind, str(value))] = until
        if len(self.entries) > 10000:
            now = time.time()
            self.entries = {k: u for k, u in self.entries.items() if u > now}

    def revoked(self, jti: str, gid) -> bool:
        now = time.time()
        if self.entries.get(("j", jti), 0) > now:
            return True
        return gid is not None and self.entries.get(("g", str(gid)), 0) > now

    def on_message(self, item: dict) -> None:
        self.add(item["k"], item["v"], item["u"])

    def catch_up(self, redis_client, again: bool) -> None:
        """On the listener thread, at each (re)subscription: the copy is not trusted until the
        keys are loaded again, by the next check (`load`)."""
        self.loaded = False
        self.generation += 1
        if again:
            # Back after a drop: revocations made meanwhile may be only in the database (their
            # publish failed). Without this marker the next check rebuilds the keys from it.
            redis_client.delete(LOADED)

    def load(self, redis_client) -> None:
        generation, now = self.generation, time.time()
        for key in redis_client.scan_iter(match="idp:rv:[jg]:*", count=1000):
            ttl = redis_client.ttl(key)
            if ttl and ttl > 0:
                _, _, kind, value = key.decode().split(":", 3)
                self.add(kind, value, now + ttl)
        self.loaded = generation == self.generation  # not if a drop happened meanwhile


_copy = _Copy()
broadcast.subscribe(TOPIC, on_message=lambda item: _copy.on_message(item),
                    on_subscribed=lambda r, again: _copy.catch_up(r, again))


def clear_local_copy() -> None:
    """Forget this process's copy (tests start each case from an empty Redis)."""
    _copy.entries, _copy.loaded = {}, False


process_copies.register("revoked tokens", clear_local_copy)


def _rebuild_keys(r) -> None:
    """After a Redis restart: copy the revocations that still matter from the database."""
    now = timezone.now()
    for jti, expires in RevokedAccessToken.objects.filter(expires_at__gt=now).values_list("jti", "expires_at"):
        r.set(_key("j", jti), 1, ex=max(int((expires - now).total_seconds()), 1))
    recent = now - timedelta(seconds=_gid_ttl())
    for gid in Authorization.objects.filter(revoked_at__gt=recent).values_list("pk", flat=True):
        r.set(_key("g", gid), 1, ex=_gid_ttl())
    r.set(LOADED, 1)


def is_revoked(jti: str, gid) -> bool:
    r = broadcast.redis_client()
    if r is not None:
        try:
            return _ask_redis(r, jti, gid)
        except RedisError:  # Redis is down or restarting: the database holds the durable record
            log.warning("redis unavailable; revocation checked in the database", exc_info=True)
            DEPENDENCY_ERRORS.labels("redis").inc()
    if RevokedAccessToken.objects.filter(jti=jti).exists():
        return True
    return gid is not None and Authorization.objects.filter(pk=gid, revoked_at__isnull=False).exists()


def _ask_redis(r, jti: str, gid) -> bool:
    current = broadcast.copies_are_current()
    if (current and _copy.loaded) or _copy.revoked(jti, gid):  # our own revocations count at once
        return _copy.revoked(jti, gid)
    loaded, by_jti, by_gid = r.mget(LOADED, _key("j", jti), _key("g", gid))
    if loaded is None:
        _rebuild_keys(r)
        by_jti, by_gid = r.mget(_key("j", jti), _key("g", gid))
    if current:  # the keys are complete: from now on this process answers from its copy
        _copy.load(r)
    return by_jti is not None or (gid is not None and by_gid is not None)


def _announce(kind: str, value, ttl: int) -> None:
    until = time.time() + ttl
    _copy.add(kind, value, until)  # this process at once (also inside a transaction: fail safe)
    r = broadcast.redis_client()
    if r is None:
        return
    # The key first: a process catching up after a drop loads the keys, not the messages.
    transaction.on_commit(lambda: r.set(_key(kind, value), 1, ex=max(ttl, 1)), robust=True)
    broadcast.publish(TOPIC, {"k": kind, "v": str(value), "u": until})


def revoke_jti(jti: str, exp: int) -> None:
    ttl = max(int(exp - time.time()), 1)
    RevokedAccessToken.objects.get_or_create(jti=jti, defaults={"expires_at": timezone.now() + timedelta(seconds=ttl)})
    _announce("j", jti, ttl)


def revoke_gid(gid: int) -> None:
    _announce("g", gid, _gid_ttl())
