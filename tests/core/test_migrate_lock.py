"""Nodes that start together each run `migrate` (make serve): they take turns under the platform's
advisory lock, and a migration that builds an index online (CREATE INDEX CONCURRENTLY, audit 0014)
finishes while the others wait — a waiting statement would hold a snapshot the index build waits
for, and PostgreSQL would end one of them as a deadlock (what the lock taken in one waiting
statement did)."""

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.db import connection

from tests.interop.servers import ROOT

pytestmark = pytest.mark.postgres


def _admin(sql: str) -> None:
    db = connection.settings_dict
    with psycopg.connect(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
                         user=db.get("USER") or "postgres", password=db.get("PASSWORD") or None,
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(sql)


def test_three_nodes_migrating_a_fresh_database_at_once_all_succeed(transactional_db):
    db = connection.settings_dict
    name = f"idp_migrate_{uuid.uuid4().hex[:8]}"
    url = (f"postgresql://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
           f"{db.get('PORT') or 5432}/{name}")
    _admin(f"CREATE DATABASE {name}")
    try:
        env = {**os.environ, "IDP_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        nodes = [subprocess.Popen([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(3)]
        outputs = [node.communicate(timeout=300)[0] for node in nodes]
        assert [node.returncode for node in nodes] == [0, 0, 0], outputs
        with psycopg.connect(url) as migrated:
            assert migrated.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_login_name_lower'"
                                    ).fetchone()[0].endswith("(lower((login_name)::text))")
            assert not migrated.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()[0]
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
