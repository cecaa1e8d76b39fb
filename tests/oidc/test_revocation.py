"""Revocation reaches every process: the database is the record; with Redis each process keeps
a copy fed by pub/sub (revocation.py)."""

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from idp.core import broadcast
from idp.oidc import revocation, tokens
from idp.oidc.models import RevokedAccessToken
from idp.sso import store

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(not settings.REDIS_URL,
                                 reason="SKIPPED: needs Redis — run with IDP_REDIS_URL=redis://… (.ci/run does)")


def _until(condition, seconds=5.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_revoked_token_is_refused_and_the_record_is_kept():
    token, _ = tokens.issue_access_token(client_id="c", scope="", subject="c")
    claims = tokens.read_access_token(token)
    tokens.revoke_access_token(claims)
    assert tokens.read_access_token(token) is None
    assert RevokedAccessToken.objects.filter(jti=claims["jti"]).exists()


@needs_redis
def test_a_revocation_announced_by_another_process_reaches_this_one():
    r = store.redis_client()
    assert revocation.is_revoked("nothing", None) is False  # starts this process's listener
    assert _until(lambda: broadcast._listener.ready), "the listener did not subscribe"
    other_process = type(r).from_url(settings.REDIS_URL)
    other_process.publish(broadcast.CHANNEL, json.dumps(
        {"t": revocation.TOPIC, "d": {"k": "j", "v": "jti-from-elsewhere", "u": time.time() + 60}}))
    assert _until(lambda: revocation.is_revoked("jti-from-elsewhere", None))
    other_process.close()


@needs_redis
def test_after_a_redis_restart_the_keys_are_rebuilt_from_the_database():
    token, _ = tokens.issue_access_token(client_id="c", scope="", subject="c")
    claims = tokens.read_access_token(token)
    RevokedAccessToken.objects.create(jti=claims["jti"], expires_at=timezone.now() + timedelta(minutes=10))
    store.redis_client().flushdb()  # Redis lost everything; this process's copy is gone too
    revocation.clear_local_copy()
    broadcast._listener.ready = False
    assert tokens.read_access_token(token) is None
    assert store.redis_client().exists(revocation.LOADED)
