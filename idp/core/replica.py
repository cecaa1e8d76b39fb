"""Read replicas (IDP_DATABASE_REPLICA_URL, docs/deploy.md): the pages that tolerate a few seconds
of lag — console lists and searches, the portal's pages and 站内搜索, the audit log — read from a
streaming standby; everything else, and everything in a request after it has written, reads from
the primary. Protocol and token paths never tolerate lag, so they never see the replica.

A view opts in with @tolerates_lag (GET and HEAD only). The router then sends its reads to the
replica while the replica answers and has replayed what the primary wrote up to MAX_LAG seconds
ago; otherwise — the replica down, or behind — to the primary. That check is made at most every
CHECK_EVERY seconds per process: a stale answer only sends a read to the primary, or lets a page
show data at most MAX_LAG + CHECK_EVERY seconds old; no write and no decision depends on it.
"""

import contextvars
import logging
import time
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
MAX_LAG = 5.0  # seconds behind the primary beyond which the replica is not read
CHECK_EVERY = 2.0  # seconds a process trusts its last look at the replica

_reading = contextvars.ContextVar("replica_reads", default=False)
_checked = {"at": float("-inf"), "usable": False}

# How far behind the standby is: nothing when it has replayed all it received (an idle primary sends
# nothing new, so the last replay's age alone would look like lag); else the age of the last replayed
# transaction.
LAG_SQL = """SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"""


def configured() -> bool:
    return REPLICA in settings.DATABASES and not settings.DATABASES[REPLICA].get("TEST", {}).get("MIRROR")


def usable() -> bool:
    now = time.monotonic()
    if now - _checked["at"] < CHECK_EVERY:
        return _checked["usable"]
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = float(cursor.fetchone()[0])
        usable_now = lag <= MAX_LAG
        if not usable_now:
            log.warning("replica behind the primary: reading from the primary", extra={"lag_seconds": round(lag, 1)})
    except DatabaseError as exc:
        connections[REPLICA].close()
        usable_now = False
        log.warning("replica unreachable: reading from the primary", extra={"reason": str(exc)[:200]})
    _checked.update(at=now, usable=usable_now)
    return usable_now


@contextmanager
def lag_tolerant():
    """Reads in this block may come from the replica (until something is written)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def tolerates_lag(view):
    """A view whose GET may read from the replica."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not configured():
            return view(request, *args, **kwargs)
        if hasattr(request, "user"):  # who is asking is read from the primary, before the block
            request.user.is_authenticated  # noqa: B018 (evaluates the lazy user)
        with lag_tolerant():
            return view(request, *args, **kwargs)
    return wrapper


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads of a lag-tolerant block to the replica when it is usable."""

    def db_for_read(self, model, **hints):
        if _reading.get() and configured() and usable():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        _reading.set(False)  # from now on this request reads what it wrote: the primary
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db != REPLICA
