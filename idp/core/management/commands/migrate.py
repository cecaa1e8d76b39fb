"""Django's `migrate`, under a PostgreSQL advisory lock: nodes that start together (`make serve`
on each) apply the migrations one after the other instead of racing each other."""

from django.core.management.commands import migrate
from django.db import connections

LOCK = 7_372_001  # any fixed number: the platform's migration lock


class Command(migrate.Command):
    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        try:
            return super().handle(*args, **options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
