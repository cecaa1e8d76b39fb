"""The audit export's state, and a run now (audit/export.py): seal, send what waits, and with
--purge delete what the retention period allows."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from idp.audit import chain, export


class Command(BaseCommand):
    help = "审计日志导出:显示导出进度,立即封存并发送待导出的记录;--purge 同时删除超过保存期限且已导出的记录"

    def add_arguments(self, parser):
        parser.add_argument("--purge", action="store_true", help="删除超过 IDP_AUDIT_RETENTION_DAYS 且已导出的记录")

    def handle(self, *args, **opts):
        if not settings.IDP_AUDIT_SINK:
            raise CommandError("IDP_AUDIT_SINK is not set: nothing is exported (docs/operators.md)")
        sealed, sent = chain.seal(), export.export()
        state = chain.state()
        self.stdout.write(f"sealed {sealed}, sent {sent}; the chain is sealed through #{state['sealed']} and "
                          f"exported through #{state['exported']}")
        if state["exported"] < state["sealed"]:
            raise CommandError(f"the sink did not take everything: #{state['exported'] + 1} onwards wait "
                               f"(see the log; the job tries again every minute)")
        if opts["purge"]:
            self.stdout.write(f"purged {export.purge()} entries older than {settings.IDP_AUDIT_RETENTION_DAYS} days")
