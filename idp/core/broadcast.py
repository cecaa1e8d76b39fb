"""Changes announced to every process of every node, so that no process answers from a stale
copy of the database.

A few facts are read on nearly every protocol request and kept in each process's memory: the
registered clients, the signing key ring, the revoked tokens. Whoever changes one announces it
on a Redis pub/sub channel once the change has committed, and a listener thread in every
process applies it to that process's copy. A message can be lost (the subscription dropped, or
Redis was down when it was sent), so a copy may be trusted only while `copies_are_current()`:
from the moment the subscription is confirmed and every subscriber has caught up from the
source (`on_subscribed`), until the connection drops. Meanwhile readers go to the source.

Without Redis there is one serving process (development; production settings refuse to start
without Redis), which applies its own changes at once: its copies are always current.
"""

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.db import transaction
from redis.client import PubSub

from idp.core import redis_url

log = logging.getLogger(__name__)

CHANNEL = "idp:changes"


@lru_cache(maxsize=2)
def _redis(url: str) -> redis.Redis:
    return redis_url.client(url)


def redis_client() -> redis.Redis | None:
    """The Redis client when IDP_REDIS_URL is set, else None."""
    return _redis(settings.REDIS_URL) if settings.REDIS_URL else None


@dataclass(frozen=True)
class _Topic:
    on_message: object  # (data) -> None: apply one announced change to this process's copy
    on_subscribed: object  # (redis_client, again: bool) -> None: bring the copy up to date


_topics: dict[str, _Topic] = {}


def subscribe(topic: str, *, on_message, on_subscribed) -> None:
    """Register a copy (from an app's ready()). `on_subscribed(redis_client, again)` runs on the
    listener thread when the subscription starts (again=False) and after every drop (again=True)."""
    _topics[topic] = _Topic(on_message, on_subscribed)


def publish(topic: str, data=None) -> None:
    """Announce a change to every other process once the current transaction commits (the
    caller applies it to its own copy itself). Best effort: a lost message is caught up."""
    r = redis_client()
    if r is None:
        return

    def send():
        r.publish(CHANNEL, json.dumps({"t": topic, "d": data}, separators=(",", ":")))

    transaction.on_commit(send, robust=True)


class _Listener:
    def __init__(self):
        self.ready = False
        self.subscribed_before = False
        self.pid = None
        self.lock = threading.Lock()

    def ensure_running(self, redis_client) -> None:
        if self.pid != os.getpid():  # first use, or a forked worker: start our own listener
            with self.lock:
                if self.pid != os.getpid():
                    self.pid, self.ready, self.subscribed_before = os.getpid(), False, False
                    threading.Thread(target=self._listen, args=(redis_client,), daemon=True,
                                     name="change-listener").start()

    def _listen(self, redis_client) -> None:
        while True:
            try:
                pubsub = _WatchedPubSub(redis_client.connection_pool, ignore_subscribe_messages=True)
                reconnected = pubsub.reconnected
                pubsub.subscribe(CHANNEL)
                pubsub.get_message(timeout=5)  # the subscription confirmation
                self.catch_up(redis_client, reconnected)
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if reconnected.is_set():
                        # redis-py re-subscribed by itself after a dropped connection: whatever
                        # was announced in the gap is lost.
                        self.ready = False
                        self.catch_up(redis_client, reconnected)
                    if message and message["type"] == "message":
                        item = json.loads(message["data"])
                        if topic := _topics.get(item.get("t")):
                            topic.on_message(item.get("d"))
            except Exception:  # Redis went away: readers use the source until we are back
                self.ready = False
                log.warning("change listener lost its subscription; retrying", exc_info=True)
                time.sleep(1)

    def catch_up(self, redis_client, reconnected: threading.Event) -> None:
        again = self.subscribed_before
        self.subscribed_before = True
        reconnected.clear()
        for topic in list(_topics.values()):
            topic.on_subscribed(redis_client, again)
        self.ready = True


class _WatchedPubSub(PubSub):
    """A subscription that says when its connection (re)connected: redis-py re-subscribes by
    itself after a drop, and what was published in between never arrives."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reconnected = threading.Event()

    def on_connect(self, connection):
        super().on_connect(connection)
        self.reconnected.set()


_listener = _Listener()


def copies_are_current() -> bool:
    """May this process answer from its copies? (Starts its listener on first use.)"""
    r = redis_client()
    if r is None:
        return True
    _listener.ensure_running(r)
    return _listener.ready
