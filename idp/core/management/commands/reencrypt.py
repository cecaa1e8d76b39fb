"""Re-encrypt every encrypted column under the newest key of the current crypto suite, bound to its
row, and rebuild the blind indexes in that suite (docs/operators.md, "Rotating keys" and "Changing
the crypto suite"). In batches, one transaction each, every row replaced only if it did not change
meanwhile (compare and set); safe to run while the platform serves, to kill, and to run again:
rows already current are skipped, so a rerun goes on where the last one stopped."""

import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

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


def _renew(model, fields, row) -> bool:
    """Rewrite the row's stale envelopes and indexes, if nobody changed them since it was read."""
    stale = {f: row.__dict__[f.attname] for f in fields
             if row.__dict__[f.attname] and not crypto.is_current(row.__dict__[f.attname])}
    indexes = _stale_indexes(model, row)
    if not stale and not indexes:
        return False
    new = {f.attname: f.seal(getattr(row, f.attname), getattr(row, f.bind)) for f in stale}
    unchanged = {f.attname: token for f, token in stale.items()} | {c: row.__dict__[c] for c in indexes}
    return bool(model.objects.filter(pk=row.pk, **unchanged).update(**new, **indexes))


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
                with transaction.atomic():
                    done += sum(_renew(model, fields, row) for row in batch)
                rows = model.objects.filter(pk__gt=batch[-1].pk).order_by("pk")
                self.stderr.write(f"\r{model._meta.label}: {done:,} rows re-encrypted", ending="")
            self.stderr.write("")
            total += done
        self.stdout.write(f"{total:,} rows re-encrypted ({crypto.suite()} suite, key version {version}) "
                          f"in {time.monotonic() - started:.1f} s")
