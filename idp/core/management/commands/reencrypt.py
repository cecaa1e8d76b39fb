"""Re-encrypt every encrypted column under the newest key, bound to its row (docs/operators.md,
"Rotating keys"). In batches, each row replaced only if it did not change
meanwhile; safe to run while the platform serves and to run again (current rows are skipped)."""

import time

from django.apps import apps
from django.core.management.base import BaseCommand

from idp.core import crypto
from idp.core.fields import EncryptedTextField


def encrypted_fields():
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


class Command(BaseCommand):
    help = "Re-encrypt stored identity numbers, keys and secrets with the newest encryption key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        version, started, total = crypto.current_version(), time.monotonic(), 0
        for model, fields in encrypted_fields():
            done, rows = 0, model.objects.order_by("pk")
            size = min(batch_size, getattr(model, "REENCRYPT_BATCH", batch_size))  # large rows: fewer at once
            while batch := list(rows[:size]):
                for row in batch:
                    stale = {f: row.__dict__[f.attname] for f in fields
                             if row.__dict__[f.attname] and not crypto.is_current(row.__dict__[f.attname])}
                    if stale:
                        sealed = {f.attname: f.seal(getattr(row, f.attname), getattr(row, f.bind)) for f in stale}
                        unchanged = {f.attname: token for f, token in stale.items()}
                        done += model.objects.filter(pk=row.pk, **unchanged).update(**sealed)
                rows = model.objects.filter(pk__gt=batch[-1].pk).order_by("pk")
                self.stderr.write(f"\r{model._meta.label}: {done:,} rows re-encrypted", ending="")
            self.stderr.write("")
            total += done
        self.stdout.write(f"{total:,} rows re-encrypted with key version {version} "
                          f"in {time.monotonic() - started:.1f} s")
