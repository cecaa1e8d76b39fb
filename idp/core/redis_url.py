"""Redis clients from IDP_REDIS_URL: a plain `redis://[:password@]host:port/db` (or `rediss://`), or
`redis+sentinel://[:password@]host:port,host:port,…/<master name>/<db>` — the master that Redis
Sentinel names. A Sentinel client asks the Sentinels for the master at each new connection, so
after a failover the platform follows the promoted replica without a restart: the commands in flight
when the master died fail (the request answers 503, like a Redis restart), the next ones reach the
new master. Every Redis client of the platform — cache and sessions, rate limits, tickets, the
change announcements and their listener, the readiness probe — is made here.
"""

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

import redis
from redis.sentinel import Sentinel

SENTINEL_SCHEME = "redis+sentinel"


@dataclass(frozen=True)
class SentinelAddress:
    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int
    password: str | None


def sentinel_address(url: str) -> SentinelAddress:
    """The parts of a `redis+sentinel://` URL; ValueError if it is not one."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        raise ValueError("not a redis+sentinel:// URL")
    credentials, _, hosts = parts.netloc.rpartition("@")
    sentinels = []
    for host in filter(None, hosts.split(",")):
        name, _, port = host.rpartition(":")
        sentinels.append((name.strip("[]") or "127.0.0.1", int(port or 26379)))
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not sentinels or not path:
        raise ValueError("redis+sentinel:// needs host:port[,host:port…]/<master name>[/<db>]")
    password = unquote(credentials.partition(":")[2]) if credentials else None
    return SentinelAddress(tuple(sentinels), path[0], int(path[1]) if len(path) > 1 else 0, password or None)


@lru_cache(maxsize=8)
def _sentinel(address: SentinelAddress, socket_timeout: float | None) -> Sentinel:
    return Sentinel(list(address.sentinels), socket_timeout=socket_timeout,
                    sentinel_kwargs={"socket_timeout": socket_timeout or 1.0})


def client(url: str, **options) -> redis.Redis:
    """A client of the Redis that `url` names (options: connection options such as socket_timeout)."""
    if not url.startswith(SENTINEL_SCHEME + "://"):
        return redis.Redis.from_url(url, **options)
    address = sentinel_address(url)
    sentinel = _sentinel(address, options.get("socket_timeout"))
    return sentinel.master_for(address.master, db=address.db, password=address.password, **options)


def connection_pool(url: str, **options) -> redis.ConnectionPool:
    """The connection pool of `client(url)` (Django's cache builds its clients on pools)."""
    if not url.startswith(SENTINEL_SCHEME + "://"):
        return redis.ConnectionPool.from_url(url, **options)
    return client(url, **options).connection_pool
