"""Re-encrypt every encrypted column under the newest key of the current crypto suite, bound to its
row, and rebuild the blind indexes in that suite (docs/operators.md, "Rotating keys" and "Changing
the crypto suite"). In batches, one transaction each, every row replaced only if it did not change
meanwhile (compare and set); safe to run while the platform serves, to kill, and to run again:
rows already current are skipped, so a rerun goes on where the last one stopped."""

import time
from collections import defaultdict

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from idp.core import crypto
from idp.core.fields import EncryptedTextField


def encrypted_fields():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


def _stale_indexes(model, row) -> dict[str, str]:
    """Blind index columns (a model's INDEXED_DOCUMENTS, and the INDEX_COPIES that follow them) whose
    value is not the current suite's index of the row's number: column -> the right value."""
    rebuilt = {}
    for document in getattr(model, "INDEXED_DOCUMENTS", ()):
        number = getattr(row, document.id_number)
        index = crypto.blind_index(getattr(row, document.id_type), number) if number else ""
        if row.__dict__[document.id_index] != index:
            rebuilt[document.id_index] = index
    for copy, original in getattr(model, "INDEX_COPIES", {}).items():
        if original in rebuilt and row.__dict__[copy] == row.__dict__[original]:
            rebuilt[copy] = rebuilt[original]
    return rebuilt


def _renewal(model, fields, row) -> dict[str, tuple]:
    """The row's stale envelopes and indexes: column -> (value read, value to write)."""
    changes = {f.column: (row.__dict__[f.attname], f.seal(getattr(row, f.attname), getattr(row, f.bind)))
               for f in fields if row.__dict__[f.attname] and not crypto.is_current(row.__dict__[f.attname])}
    for attname, index in _stale_indexes(model, row).items():
        changes[model._meta.get_field(attname).column] = (row.__dict__[attname], index)
    return changes


def _renew(model, renewals: list[tuple]) -> int:
    """Write the renewals of one batch — each row only if its columns still hold what was read (compare
    and set) — one statement per set of columns, sent together (executemany). Returns rows written."""
    by_columns = defaultdict(list)
    for pk, changes in renewals:
        columns = tuple(sorted(changes))
        by_columns[columns].append([*(changes[c][1] for c in columns), pk, *(changes[c][0] for c in columns)])
    quote, written = connection.ops.quote_name, 0
    for columns, params in by_columns.items():
        sql = (f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(c)} = %s' for c in columns)} "
               f"WHERE {quote(model._meta.pk.column)} = %s AND {' AND '.join(f'{quote(c)} = %s' for c in columns)}")
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
            written += cursor.rowcount
    return written


class Command(BaseCommand):
    help = ("Re-encrypt stored identity numbers, keys and secrets with the newest key of IDP_CRYPTO_SUITE, "
            "rebuilding the blind indexes in that suite.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        version, started, total = crypto.current_version(), time.monotonic(), 0
        for model, fields in encrypted_fields():
            done, rows = 0, model.objects.order_by("pk")
            size = min(batch_size, getattr(model, "REENCRYPT_BATCH", batch_size))  # large rows: fewer at once
            while batch := list(rows[:size]):
                renewals = [(row.pk, changes) for row in batch if (changes := _renewal(model, fields, row))]
                with transaction.atomic():
                    done += _renew(model, renewals)
                rows = model.objects.filter(pk__gt=batch[-1].pk).order_by("pk")
                self.stderr.write(f"\r{model._meta.label}: {done:,} rows re-encrypted", ending="")
            self.stderr.write("")
            total += done
        self.stdout.write(f"{total:,} rows re-encrypted ({crypto.suite()} suite, key version {version}) "
                          f"in {time.monotonic() - started:.1f} s")
