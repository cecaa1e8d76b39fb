"""Indexes on other apps' tables that the platform's purges (core/tasks.py) read by: when each of
the queue's jobs stopped (django-q2) and when each captcha expires (django-simple-captcha) — so a
purge reads the old rows, not the whole table. Built online on PostgreSQL."""

from django.db import migrations

INDEXES = {"queue_task_stopped": ("django_q_task", "stopped"),
           "captcha_expiration": ("captcha_captchastore", "expiration")}


def create(apps, schema_editor):
    online = "CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {online} IF NOT EXISTS {name} ON {table} ({column})")


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
                    ("captcha", "0002_alter_captchastore_id")]

    operations = [migrations.RunPython(create, drop)]
