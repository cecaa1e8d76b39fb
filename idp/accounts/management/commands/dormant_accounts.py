"""等保 2.0: the accounts nobody has used for a while — listed by kind, and staff disabled."""

from django.conf import settings
from django.core.management.base import BaseCommand

from idp.accounts import services
from idp.accounts.models import AccountKind


class Command(BaseCommand):
    help = "列出长期未登录的账号(按类型计数,员工逐个列出),并停用超过 IDP_STAFF_DORMANT_DAYS 未登录的员工账号"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365, help="多少天未登录算长期未使用(默认 365)")
        parser.add_argument("--disable-staff", action="store_true",
                            help="停用超过 IDP_STAFF_DORMANT_DAYS 天未登录的员工账号(每日任务也会执行)")

    def handle(self, *args, **opts):
        found = services.dormant(opts["days"])
        for kind, label in AccountKind.choices:
            self.stdout.write(f"{label} ({kind}): {found.filter(kind=kind, is_staff=False).count()}")
        for account in found.filter(is_staff=True).order_by("login_name"):
            self.stdout.write(f"staff {account.login_name}: last login {account.last_login or 'never'}")
        if opts["disable_staff"]:
            disabled = services.disable_dormant_staff()
            self.stdout.write(f"disabled {disabled} staff account(s) unused for {settings.IDP_STAFF_DORMANT_DAYS} days")
