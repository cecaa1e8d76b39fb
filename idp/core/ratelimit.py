"""Fixed-window counters in the cache (Redis when configured), for throttles and lockouts."""

import time

from django.core.cache import cache


def _key(scope: str, ident: str) -> str:
    return f"rl:{scope}:{ident}"


def hit(scope: str, ident: str, *, window: int) -> int:
    """Count one event for `ident` in `scope`; returns the count in the current window."""
    key = _key(scope, ident)
    if hasattr(cache, "hit"):  # Redis: one round trip (core/cache.py)
        return cache.hit(key, window)
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


def give_back(scope: str, ident: str) -> None:
    """Undo one hit() (an attempt counted in advance that turned out to be no failure)."""
    try:
        if cache.decr(_key(scope, ident)) < 0:
            cache.delete(_key(scope, ident))
    except ValueError:  # the window ended meanwhile
        pass


def count(scope: str, ident: str) -> int:
    """The count of the current window, without counting an event."""
    return cache.get(_key(scope, ident)) or 0


def reset(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))


def allow(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one event and say whether it is still within `limit` per `window` seconds."""
    return hit(scope, ident, window=window) <= limit


def set_until(scope: str, ident: str, seconds: int) -> None:
    """Remember a deadline (a lock or a cool-down) for `ident`."""
    cache.set(_key(scope, ident), time.time() + seconds, timeout=seconds)


def remaining(scope: str, ident: str) -> int:
    """Seconds left until the deadline set by set_until, 0 when none."""
    until = cache.get(_key(scope, ident))
    return max(0, int(until - time.time() + 0.999)) if until else 0


def remaining_many(pairs: list[tuple[str, str]], counts: list[tuple[str, str]] = ()) -> list[int]:
    """remaining() for several (scope, ident) pairs, followed by count() for those in `counts`,
    in one cache round trip."""
    keys = [_key(scope, ident) for scope, ident in pairs]
    counted = [_key(scope, ident) for scope, ident in counts]
    found = cache.get_many(keys + counted)
    now = time.time()
    return [max(0, int(found[k] - now + 0.999)) if found.get(k) else 0 for k in keys] + \
        [found.get(k) or 0 for k in counted]


def search_allowed(request) -> bool:
    """站内搜索 and the catalogue's search: IDP_SEARCHES_PER_MINUTE per client address."""
    from django.conf import settings

    from idp.core.http import client_ip

    return allow("search", client_ip(request), limit=settings.IDP_SEARCHES_PER_MINUTE, window=60)
