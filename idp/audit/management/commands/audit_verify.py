"""Walk the audit log's tamper-evident chain (audit/chain.py) and name the first broken entry."""

from django.core.management.base import BaseCommand, CommandError

from idp.audit import chain


class Command(BaseCommand):
    help = "校验审计日志防篡改链:先封存未封存的记录,再逐条校验,指出第一条被改动或缺失的记录"

    def add_arguments(self, parser):
        parser.add_argument("--from-seq", type=int, default=1, help="从链上第几条开始(续验)")
        parser.add_argument("--day", default=None, help="只校验这一天(YYYY-MM-DD)的记录")
        parser.add_argument("--no-seal", action="store_true", help="不先封存待封存的记录")

    def handle(self, *args, **opts):
        if not opts["no_seal"]:
            self.stdout.write(f"sealed {chain.seal()} new entries")
        verdict = chain.verify(from_seq=opts["from_seq"], day=opts["day"],
                               progress=lambda seq: self.stdout.write(f"… verified up to #{seq}"))
        if not verdict.intact:
            where = f"entry id {verdict.entry_id}" if verdict.entry_id else "no entry"
            raise CommandError(f"the chain breaks at #{verdict.broken_at} ({where}): {verdict.reason}; "
                               f"{verdict.checked} entries verified before it")
        self.stdout.write(f"chain intact: {verdict.checked} entries verified")
