"""The protocol endpoints through a dependency's failure: a database connection dropped by a
restart or failover is replaced at once; revocation is answered from the database while Redis
is unreachable, and revocations made meanwhile reach every process once it is back."""

from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.db.utils import OperationalError
from django.utils import timezone
from redis.exceptions import RedisError

from idp.core import broadcast
from idp.oidc import revocation, tokens
from idp.oidc.models import RevokedAccessToken
from idp.sso import store
from tests.oidc.test_revocation import needs_redis
from tests.sso import helpers
from tests.wsgi import call

needs_postgres = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="SKIPPED: needs PostgreSQL — run with IDP_DATABASE_URL=postgresql://… (.ci/run does)")


def _terminate_our_connection():
    """What a PostgreSQL restart does to a worker's persistent connection."""
    db = settings.DATABASES["default"]
    pid = connection.connection.info.backend_pid
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"],
                         dbname=db["NAME"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_by_the_database_is_replaced_before_the_next_request_uses_it(client):
    """Issue 14: after a PostgreSQL restart every refresh answered 500 for minutes. Issue 26: the
    machine endpoints now go through Django's handler, whose connection health check
    (CONN_HEALTH_CHECKS) replaces a dead connection before a request uses it."""
    from tests.factories import natural_account
    from tests.oidc.test_oidc import _tokens

    rp = helpers.oidc_client()
    client.force_login(natural_account(name="张三"))
    refresh = _tokens(client, rp)["refresh_token"]
    body = f"grant_type=refresh_token&refresh_token={refresh}".encode()

    _terminate_our_connection()
    status, _, content = call("POST", "/oidc/token", body, Authorization=helpers.basic(rp))
    assert status == 200, content
    for _ in range(3):  # and every later request works
        assert call("GET", "/oidc/jwks")[0] == 200
        assert call("POST", "/oidc/token", b"grant_type=client_credentials",
                    Authorization=helpers.basic(rp))[0] == 200


@pytest.mark.django_db
def test_a_request_that_meets_a_failing_database_answers_503_and_spends_nothing(client, monkeypatch):
    """A connection that breaks during a request: 503 + Retry-After (JSON, as every machine
    endpoint's errors), and the refresh token is still good for the retry."""
    from idp.oidc import families
    from tests.factories import natural_account
    from tests.oidc.test_oidc import _tokens

    rp = helpers.oidc_client()
    client.force_login(natural_account(name="张三"))
    refresh = _tokens(client, rp)["refresh_token"]
    body = f"grant_type=refresh_token&refresh_token={refresh}".encode()
    rotate = families.rotate

    def broken(**kwargs):
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(families, "rotate", broken)
    status, headers, content = call("POST", "/oidc/token", body, Authorization=helpers.basic(rp))
    assert status == 503 and headers["Retry-After"] == "2" and content == b'{"error": "temporarily_unavailable"}'
    monkeypatch.setattr(families, "rotate", rotate)
    status, _, content = call("POST", "/oidc/token", body, Authorization=helpers.basic(rp))
    assert status == 200, content


@pytest.fixture
def fresh_mirror(monkeypatch):
    """A process copy that is not listening: every check goes to Redis (or the database)."""
    monkeypatch.setattr(revocation, "_copy", revocation._Copy())
    monkeypatch.setattr(broadcast, "copies_are_current", lambda: False)


@pytest.mark.django_db
def test_while_redis_is_unreachable_revocation_is_answered_from_the_database(settings, fresh_mirror):
    token, _ = tokens.issue_access_token(client_id="c", scope="", subject="c")
    revoked, _ = tokens.issue_access_token(client_id="c", scope="", subject="c")
    tokens.revoke_access_token(tokens.read_access_token(revoked))
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there: every call fails
    assert tokens.read_access_token(token) is not None
    assert tokens.read_access_token(revoked) is None


@needs_redis
@pytest.mark.django_db
def test_after_a_dropped_subscription_revocations_made_meanwhile_are_loaded_from_the_database(fresh_mirror):
    r = store.redis_client()
    r.set(revocation.LOADED, 1)  # the keys look complete …
    RevokedAccessToken.objects.create(jti="made-while-redis-was-away",  # … but this one's publish failed
                                      expires_at=timezone.now() + timedelta(minutes=5))
    copy = revocation._Copy()
    copy.catch_up(r, again=True)  # the listener is back after a drop …
    assert not r.exists(revocation.LOADED) and not copy.loaded  # … and asks for the keys to be rebuilt
    # The next check (any process) rebuilds them from the database …
    assert revocation.is_revoked("made-while-redis-was-away", None)
    # … and the copy, loaded after that, has it.
    copy.load(r)
    assert copy.loaded and copy.revoked("made-while-redis-was-away", None)


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError("the server closed the connection"),
                                   RedisError("Connection refused")])
def test_a_page_that_meets_an_unreachable_dependency_answers_503(monkeypatch, error):
    from captcha.models import CaptchaStore
    from django.test import Client

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(CaptchaStore, "generate_key", fail)
    response = Client(raise_request_exception=False).get("/login/")
    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert "服务暂时不可用" in response.content.decode()
