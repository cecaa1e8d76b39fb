"""Django's `migrate`, under a PostgreSQL advisory lock: nodes that start together (`make serve`
on each) apply the migrations one after the other instead of racing each other.

The lock is asked for again every half second rather than waited for in one statement: a
waiting statement holds a snapshot, and CREATE INDEX CONCURRENTLY (a migration that builds an
index online) waits for every older snapshot to end — the waiting node and the migrating one
would wait for each other."""

import time

from django.core.management.commands import migrate
from django.db import connections

LOCK = 7_372_001  # any fixed number: the platform's migration lock
RETRY_SECONDS = 0.5


class Command(migrate.Command):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK])
                if cursor.fetchone()[0]:
                    break
            time.sleep(RETRY_SECONDS)
        try:
            return super().handle(*args, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
