"""python manage.py import_legacy --enterprises E.csv --persons P.csv [--dry-run] [--report R.json]

Imports the legacy platform's accounts (SPEC 7, CONTRACT.md). Exit status 0 when every row
was imported or already recorded, 1 when some rows are in the report's errors.
"""

import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from idp.legacy.importer import Importer, ImportSetupError, ProgressBar, count_rows


def _check_paths(*, inputs: list[str], report: str | None) -> None:
    """Before anything is written: every input can be read and the report can be written (an
    unwritable report path used to end in a traceback after every row had been imported)."""
    for path in inputs:
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise CommandError(f"cannot read {path}")
    if report:
        target = Path(report)
        folder = target.parent if str(target.parent) else Path(".")
        if target.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK) \
                or (target.exists() and not os.access(target, os.W_OK)):
            raise CommandError(f"cannot write the report to {report}")


class Command(BaseCommand):
    help = "Import the legacy (火炬中心) enterprise and person accounts."

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", help="enterprise CSV export")
        parser.add_argument("--persons", help="person CSV export")
        parser.add_argument("--dry-run", action="store_true", help="decide and report every case, write nothing")
        parser.add_argument("--report", help="write the JSON report here")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, enterprises, persons, dry_run, report, batch_size, no_progress, **options):
        if not enterprises and not persons:
            raise CommandError("give --enterprises and/or --persons")
        _check_paths(inputs=[p for p in (enterprises, persons) if p], report=report)
        bar = None
        if sys.stderr.isatty() and not no_progress:
            bar = ProgressBar(count_rows(enterprises) + count_rows(persons))
        started = time.monotonic()
        importer = Importer(dry_run=dry_run, batch_size=max(1, batch_size), progress=bar)
        try:
            result = importer.import_files(enterprises=enterprises, persons=persons)
        except ImportSetupError as error:
            raise CommandError(str(error)) from None
        finally:
            if bar:
                bar.close()
        elapsed = time.monotonic() - started
        if report:
            result.write(report)
        self._summary(result, importer.rows_seen, elapsed, dry_run)
        if result.error_count:
            self.stderr.write(f"completed with {result.error_count} rows in errors (see the report)")
            sys.exit(1)

    def _summary(self, result, rows, elapsed, dry_run):
        cases = ("R1", "R2", "R3", "R4")
        self.stdout.write(("DRY RUN — nothing written\n" if dry_run else "") +
                          f"{'kind':<12}" + "".join(f"{case:>10}" for case in cases) + f"{'total':>10}")
        for kind, counter in result.by_kind.items():
            self.stdout.write(f"{kind:<12}" + "".join(f"{counter[c]:>10,}" for c in cases)
                              + f"{sum(counter.values()):>10,}")
        self.stdout.write(f"{'errors':<12}{result.error_count:>10,}")
        self.stdout.write(f"{rows:,} rows in {elapsed:.1f} s ({rows / max(elapsed, 1e-6):,.0f} rows/s)")
        self.stdout.write("phases (s; parsing runs beside the rest): " + ", ".join(
            f"{phase} {seconds:.1f}" for phase, seconds in result.timing.items()))
