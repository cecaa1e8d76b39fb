"""Short-lived single-use items (authorization codes, CAS tickets): Redis when IDP_REDIS_URL
is set, the database otherwise. `take` is atomic, so an item is handed out at most once
even to concurrent requests."""

import json
from datetime import timedelta

from django.utils import timezone

from idp.core import jobs
from idp.core.broadcast import redis_client
from idp.sso.models import Ephemeral

_PREFIX = "idp:sso:"


def put(key: str, value: dict, ttl: int) -> None:
    if r := redis_client():
        r.set(_PREFIX + key, json.dumps(value, separators=(",", ":")), ex=ttl)
        return
    Ephemeral.objects.update_or_create(
        key=key, defaults={"value": value, "expires_at": timezone.now() + timedelta(seconds=ttl)})


def take(key: str) -> dict | None:
    """The item, removed; None when absent, expired or already taken."""
    if r := redis_client():
        raw = r.getdel(_PREFIX + key)
        return json.loads(raw) if raw is not None else None
    row = Ephemeral.objects.filter(key=key).first()
    # Only the request whose DELETE removed the row may use it.
    if row is None or Ephemeral.objects.filter(key=key).delete()[0] != 1:
        return None
    return row.value if row.expires_at > timezone.now() else None


def get(key: str) -> dict | None:
    if r := redis_client():
        raw = r.get(_PREFIX + key)
        return json.loads(raw) if raw is not None else None
    row = Ephemeral.objects.filter(key=key, expires_at__gt=timezone.now()).first()
    return row.value if row else None


def purge_expired() -> int:
    """The periodic purge of expired rows (database mode; Redis expires keys itself)."""
    if redis_client():
        return 0
    return jobs.delete_in_batches(Ephemeral.objects.filter(expires_at__lte=timezone.now()))
