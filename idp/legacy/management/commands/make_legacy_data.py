"""python manage.py make_legacy_data --out DIR --enterprises N --persons N [--platform M] [--conflicts 0.05]

Writes synthetic legacy CSV files (and expected.csv with each row's case) and creates the
platform state that produces those cases. For tests and benchmarks only.
"""

from django.core.management.base import BaseCommand

from idp.legacy.synthetic import generate


class Command(BaseCommand):
    help = "Generate synthetic legacy exports and the matching platform state."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--enterprises", type=int, default=1000)
        parser.add_argument("--persons", type=int, default=1000)
        parser.add_argument("--platform", type=int, default=0, help="pad the platform to this many accounts")
        parser.add_argument("--conflicts", type=float, default=0.05, help="share of rows in each conflict case")

    def handle(self, *args, out, enterprises, persons, platform, conflicts, **options):
        paths = generate(out_dir=out, enterprises=enterprises, persons=persons, platform=platform,
                         conflicts=conflicts)
        self.stdout.write(f"wrote {paths.enterprises}, {paths.persons}, {paths.expected}")
