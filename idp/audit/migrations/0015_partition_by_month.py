"""The audit log partitioned by month on PostgreSQL (core/partitions.py): retention drops whole
months (audit/export.py), and searches by time read only the months they ask for. The rows stay
where they are and the log is written meanwhile; the unique chain position gains the month. Not
undone by a reverse migration: the partitioned table serves the earlier code as well."""

from django.db import migrations

from idp.core import partitions


def partition(apps, schema_editor):
    partitions.convert(schema_editor, "audit_auditentry", "at")


class Migration(migrations.Migration):
    atomic = False  # the new unique indexes are built CONCURRENTLY, the table in use meanwhile
    dependencies = [("audit", "0014_audit_login_name_lower")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
