"""Health for load balancers and orchestrators (CONTRACT.md, Operations).

`/health/live`: the process answers. `/health/ready`: it can serve — the database and Redis
answer, every migration is applied and the algorithms give their known answers (crypto_selftest,
once per process); otherwise 503 naming the failing part, so a proxy takes the node out of
rotation while a dependency is down and back when it returns.
"""

import functools
import logging

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from idp.core import redis_url
from idp.core.metrics import DEPENDENCY_ERRORS

log = logging.getLogger(__name__)
OK = "ok"
UNKNOWN = "unknown"  # not checked: what it depends on is failing


def live() -> tuple[int, dict]:
    return 200, {"status": "up"}


def ready() -> tuple[int, dict]:
    checks = {"database": _database()}
    checks["migrations"] = _migrations() if checks["database"] == OK else UNKNOWN
    if settings.REDIS_URL:
        checks["redis"] = _redis()
    checks["crypto"] = _crypto()
    failing = sorted(part for part, state in checks.items() if state not in (OK, UNKNOWN))
    if failing:
        log.warning("not ready: %s", ", ".join(f"{part} {checks[part]}" for part in failing))
        return 503, {"status": "unavailable", "failing": failing, "checks": checks}
    return 200, {"status": "ready", "checks": checks}


@functools.lru_cache(maxsize=1)
def _crypto() -> str:
    """The algorithms' known answers (core/gm.py), checked once per process."""
    from idp.core import gm

    return OK if all(ok for _, ok in gm.self_test()) else "failed"


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return OK
    except DatabaseError:
        connection.close()  # a broken connection is not kept for the next request
        DEPENDENCY_ERRORS.labels("database").inc()
        return "unavailable"


_migrated = False  # once every migration is applied it stays so until the code (and process) changes


def _migrations() -> str:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            return f"{len(pending)} pending"
        _migrated = True
    return OK


@functools.lru_cache(maxsize=2)
def _client(url: str) -> redis.Redis:
    # Its own client, not sso.store's: a probe must answer within a second even while Redis hangs.
    return redis_url.client(url, socket_connect_timeout=1, socket_timeout=1)


def _redis() -> str:
    try:
        _client(settings.REDIS_URL).ping()
        return OK
    except redis.RedisError:
        DEPENDENCY_ERRORS.labels("redis").inc()
        return "unavailable"
