"""The legacy import's models named as the import they record (issue 26): MigrationRun → ImportRun,
MigrationError → ImportFailure. Their tables are renamed with them; no row changes."""

from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("legacy_migration", "0002_failed_row_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("MigrationRun", "ImportRun"),
        migrations.RenameModel("MigrationError", "ImportFailure"),
    ]
