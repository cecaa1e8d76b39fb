"""Is this access token revoked? — asked on every introspection and userinfo call.

The database holds the durable record (RevokedAccessToken, Authorization.revoked_at). With
Redis, each revocation is also written as a key that lives as long as the tokens it kills,
and announced on a pub/sub channel; every process keeps an in-memory copy fed by that
channel, so the check costs a dictionary look-up. Until a process has subscribed and loaded
the keys (and whenever its subscription drops) it asks Redis directly; after a Redis restart
the keys are rebuilt from the database first. Without Redis, or while it is unreachable, the
database is asked.
"""

import json
import logging
import os
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from redis.client import PubSub
from redis.exceptions import RedisError

from idp.core.metrics import DEPENDENCY_ERRORS
from idp.oidc.models import Authorization, RevokedAccessToken
from idp.sso import store

log = logging.getLogger(__name__)

CHANNEL = "idp:oidc:revoked"
LOADED = "idp:rv:loaded"  # present while the keys below are complete


def _key(kind: str, value) -> str:
    return f"idp:rv:{kind}:{value}"


def _gid_ttl() -> int:
    return settings.IDP_ACCESS_TOKEN_SECONDS + 60


class _Mirror:
    """This process's copy of the revocations that still matter (kind, value) -> until."""

    def __init__(self):
        self.entries: dict[tuple[str, str], float] = {}
        self.ready = False
        self.subscribed_before = False
        self.pid = None
        self.lock = threading.Lock()

    def ensure_running(self, redis_client) -> None:
        if self.pid != os.getpid():  # first use, or a forked worker: start our own listener
            with self.lock:
                if self.pid != os.getpid():
                    self.pid, self.ready, self.entries = os.getpid(), False, {}
                    self.subscribed_before = False
                    threading.Thread(target=self._listen, args=(redis_client,), daemon=True,
                                     name="revocation-listener").start()

    def add(self, kind: str, value, until: float) -> None:
        self.entries[(kind, str(value))] = until

    def revoked(self, jti: str, gid) -> bool:
        now = time.time()
        if self.entries.get(("j", jti), 0) > now:
            return True
        return gid is not None and self.entries.get(("g", str(gid)), 0) > now

    def _listen(self, redis_client) -> None:
        while True:
            try:
                pubsub = _WatchedPubSub(redis_client.connection_pool, ignore_subscribe_messages=True)
                reconnected = pubsub.reconnected
                pubsub.subscribe(CHANNEL)
                pubsub.get_message(timeout=5)  # the subscription confirmation
                self._catch_up(redis_client, reconnected)
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if reconnected.is_set():
                        # redis-py re-subscribed by itself after a dropped connection: whatever
                        # was announced in the gap is lost, but its key is in Redis — load again.
                        self.ready = False
                        self._catch_up(redis_client, reconnected)
                    if message and message["type"] == "message":
                        item = json.loads(message["data"])
                        self.add(item["k"], item["v"], item["u"])
                        self._prune()
            except Exception:  # Redis went away: answer from Redis/the database until we are back
                self.ready = False
                log.warning("revocation listener lost its subscription; retrying", exc_info=True)
                time.sleep(1)

    def _catch_up(self, redis_client, reconnected) -> None:
        if self.subscribed_before:
            # Back after a drop: revocations made meanwhile may be only in the database (their
            # publish failed). Without this marker the next check rebuilds the keys from it.
            redis_client.delete(LOADED)
        self.subscribed_before = True
        while not redis_client.exists(LOADED):
            time.sleep(1)  # a request rebuilds the keys from the database
        reconnected.clear()
        self._load(redis_client)
        self.ready = True

    def _load(self, redis_client) -> None:
        now = time.time()
        for key in redis_client.scan_iter(match="idp:rv:[jg]:*", count=1000):
            ttl = redis_client.ttl(key)
            if ttl and ttl > 0:
                _, _, kind, value = key.decode().split(":", 3)
                self.add(kind, value, now + ttl)

    def _prune(self) -> None:
        if len(self.entries) > 10000:
            now = time.time()
            self.entries = {k: u for k, u in self.entries.items() if u > now}


class _WatchedPubSub(PubSub):
    """A subscription that says when its connection (re)connected: redis-py re-subscribes by
    itself after a drop, and what was published in between never arrives."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reconnected = threading.Event()

    def on_connect(self, connection):
        super().on_connect(connection)
        self.reconnected.set()


_mirror = _Mirror()


def clear_local_copy() -> None:
    """Forget this process's copy (tests start each case from an empty Redis)."""
    _mirror.entries = {}


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
    r = store.redis_client()
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
    _mirror.ensure_running(r)
    if _mirror.ready or _mirror.revoked(jti, gid):  # our own revocations count at once
        return _mirror.revoked(jti, gid)
    loaded, by_jti, by_gid = r.mget(LOADED, _key("j", jti), _key("g", gid))
    if loaded is None:
        _rebuild_keys(r)
        by_jti, by_gid = r.mget(_key("j", jti), _key("g", gid))
    return by_jti is not None or (gid is not None and by_gid is not None)


def _announce(kind: str, value, ttl: int) -> None:
    until = time.time() + ttl
    _mirror.add(kind, value, until)  # this process at once (also inside a transaction: fail safe)
    r = store.redis_client()
    if r is None:
        return

    def publish():
        r.set(_key(kind, value), 1, ex=max(ttl, 1))
        r.publish(CHANNEL, json.dumps({"k": kind, "v": str(value), "u": until}))

    transaction.on_commit(publish, robust=True)


def revoke_jti(jti: str, exp: int) -> None:
    ttl = max(int(exp - time.time()), 1)
    RevokedAccessToken.objects.get_or_create(jti=jti, defaults={"expires_at": timezone.now() + timedelta(seconds=ttl)})
    _announce("j", jti, ttl)


def revoke_gid(gid: int) -> None:
    _announce("g", gid, _gid_ttl())
