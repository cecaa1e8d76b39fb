"""/health/live and /health/ready (CONTRACT.md, Operations): through Django's test handler and
through the production entry point, with each dependency failing in turn."""

import pytest
from django.conf import settings as django_settings

from idp.core import health
from tests.wsgi import call

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(
    not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="SKIPPED: needs PostgreSQL — run with IDP_DATABASE_URL=postgresql://… (.ci/run does)")


def test_live_answers_while_the_process_runs(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "up"}
    status, headers, body = call("GET", "/health/live")
    assert status == 200 and body == b'{"status": "up"}' and headers["Cache-Control"] == "no-store"
    assert call("GET", "/health/live", Host="10.1.2.3:8000")[0] == 200  # a probe by the node's own address
    assert client.post("/health/live").status_code == 405


def test_ready_names_each_dependency(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"] == checks["migrations"] == checks["crypto"] == "ok"
    assert ("redis" in checks) == bool(django_settings.REDIS_URL)
    assert call("GET", "/health/ready")[0] == 200


def test_ready_is_503_naming_redis_while_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["redis"] and response.json()["checks"]["database"] == "ok"


def test_ready_is_503_while_a_migration_is_pending(client, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("app", False)])
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"] and response.json()["checks"]["migrations"] == "1 pending"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_ready_stays_200_when_the_database_drops_a_connection_and_answers_again():
    """The connection health check replaces the dropped connection before the probe uses it."""
    from tests.oidc.test_faults import _terminate_our_connection

    call("GET", "/health/ready")  # the connection is open
    _terminate_our_connection()
    assert call("GET", "/health/ready")[0] == 200  # a new connection


def test_ready_is_503_naming_crypto_when_an_algorithm_gives_a_wrong_answer(client, monkeypatch):
    from idp.core import gm, health

    monkeypatch.setattr(gm, "KNOWN_ANSWERS", [("a wrong answer", lambda: False)])
    health._crypto.cache_clear()
    try:
        response = client.get("/health/ready")
        assert response.status_code == 503 and response.json()["failing"] == ["crypto"]
    finally:
        health._crypto.cache_clear()
