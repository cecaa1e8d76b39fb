"""Bearer tokens of the operator API: `idpa_<key id>_<secret>`, made by `manage.py create_api_token`
on a node's shell and shown once. The row keeps the key id (to find it) and a keyed digest of the
whole token (core/crypto.py: nothing in the database lets one be rebuilt), its scopes, its expiry
and when it was last used (written at most once a minute, so a busy token costs no write per call)."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from idp.api.models import ApiToken, Scope
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import crypto, ratelimit

PREFIX = "idpa"
LAST_USED_EVERY = timedelta(minutes=1)
RATE, WINDOW = 600, 60  # calls per token per minute, the operator API and SCIM together


def _digest_input(token: str) -> str:
    return "api-token:" + token


def create(*, name: str, scopes: list[str], days: int) -> str:
    unknown = set(scopes) - set(Scope.values)
    if not scopes or unknown:
        raise ValueError(f"scopes must be among {', '.join(Scope.values)}" + (f"; not {sorted(unknown)}"
                                                                              if unknown else ""))
    if not 1 <= days <= 366:
        raise ValueError("days: from 1 to 366")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    token = f"{PREFIX}_{key_id}_{secret}"
    with transaction.atomic():
        ApiToken.objects.create(name=name, key_id=key_id, digest=crypto.keyed_digest(_digest_input(token)),
                                scopes=sorted(set(scopes)), expires_at=timezone.now() + timedelta(days=days))
        record(Event.API_TOKEN_CREATED, actor=None, name=name, scopes=sorted(set(scopes)), days=days)
    return token


def authenticate(raw: str) -> ApiToken | None:
    """The token a bearer value stands for, if it is whole, unexpired and not revoked."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    token = ApiToken.objects.filter(key_id=parts[1], revoked_at__isnull=True).first()
    now = timezone.now()
    if token is None or token.expires_at <= now or not crypto.digest_matches(token.digest, _digest_input(raw)):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def within_rate(token: ApiToken) -> bool:
    """Counts this call; False once the token has made RATE calls in the last WINDOW seconds."""
    return ratelimit.allow("api-token", token.key_id, limit=RATE, window=WINDOW)


def revoke(name: str) -> bool:
    with transaction.atomic():
        done = ApiToken.objects.filter(name=name, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if done:
            record(Event.API_TOKEN_REVOKED, actor=None, name=name)
    return bool(done)
