"""Make a business system's SCIM target hold what it should (provisioning/scim.py, `reconcile`)."""

import json

from django.core.management.base import BaseCommand, CommandError

from idp.provisioning import scim
from idp.provisioning.models import ScimTarget


class Command(BaseCommand):
    help = "SCIM 全量校准:把业务系统应有的用户与单位(组)推送到其 SCIM 服务,补上缺失、更新过期"

    def add_arguments(self, parser):
        parser.add_argument("--system", required=True, help="业务系统代码(client_id)")
        parser.add_argument("--dry-run", action="store_true", help="只列出将创建、更新的资源数,不发送")

    def handle(self, *args, system, dry_run, **options):
        target = ScimTarget.objects.filter(system__code=system).select_related("system").first()
        if target is None:
            raise CommandError(f"business system {system!r} has no SCIM target (register_business_system --scim-url)")
        target.dry_run = target.dry_run or dry_run
        try:
            counts = scim.reconcile(target)
        except Exception as exc:  # the target's answer, or none
            raise CommandError(f"{system}: {type(exc).__name__}: {exc}") from None
        self.stdout.write(json.dumps({"system": system, "dry_run": target.dry_run, **counts}))
