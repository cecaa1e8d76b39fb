"""Wrap the legacy platform's fast digests (MD5, SHA-256) in argon2id, without waiting for
each user's next login (docs/operators.md, "Legacy migration"). Safe to run while users log in (each
row is replaced only if it did not change meanwhile) and to run again (wrapped rows are
skipped). Run it after every import_legacy."""

import time

from django.core.management.base import BaseCommand
from django.db.models import Q

from idp.accounts.models import Account
from idp.legacy.hashers import FAST_DIGESTS


class Command(BaseCommand):
    help = "Wrap the legacy MD5 / SHA-256 password digests in argon2id."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        fast = Q()
        for algorithm in FAST_DIGESTS:
            fast |= Q(password__startswith=f"{algorithm}$")
        total, done, last_pk, started = Account.objects.filter(fast).count(), 0, 0, time.monotonic()
        while True:
            batch = list(Account.objects.filter(fast, pk__gt=last_pk).order_by("pk")
                         .values_list("pk", "password")[:batch_size])
            if not batch:
                break
            for pk, encoded in batch:
                hasher = FAST_DIGESTS[encoded.split("$", 1)[0]]()
                done += Account.objects.filter(pk=pk, password=encoded).update(password=hasher.wrap(encoded))
            last_pk = batch[-1][0]
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stderr.write(f"\r{done:,}/{total:,} wrapped ({rate:,.0f}/s)", ending="")
        self.stderr.write("")
        self.stdout.write(f"{done:,} legacy password digests wrapped in argon2id")
