"""站内搜索 on PostgreSQL: pg_trgm GIN indexes on the expression `icontains` compares, so substring
searches of Chinese text are answered from an index (idp/portal/search.py). Nothing on SQLite."""

from django.db import migrations

SEARCHED = {
    "catalog_serviceitem": ["name", "description"],
    "portal_notice": ["title", "body"],
    "portal_question": ["body", "answer"],
    "portal_publication": ["title", "body"],
}


def index_name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{index_name(table, column)}" ON "{table}" '
                f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{index_name(table, column)}"')


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
        ("portal", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
