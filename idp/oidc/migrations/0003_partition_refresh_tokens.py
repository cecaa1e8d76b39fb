"""Refresh tokens partitioned by the month they were issued in, on PostgreSQL (core/partitions.py):
their purge drops whole months. The table's rows stay where they are and it stays in use while the
unique indexes with the month are built. Not undone by a reverse migration: the partitioned table
serves the earlier code as well."""

from django.db import migrations

from idp.core import partitions


def partition(apps, schema_editor):
    partitions.convert(schema_editor, "oidc_refreshtoken", "created_at")


class Migration(migrations.Migration):
    atomic = False  # the new unique indexes are built CONCURRENTLY, the table in use meanwhile
    dependencies = [("oidc", "0002_initial")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
