"""三权分立 (accounts/roles.py): give an account one of the three administrator roles, or take it
away — only here, on a node's shell, never from a page; in the audit log."""

from django.core.management.base import BaseCommand, CommandError

from idp.accounts import roles
from idp.accounts.models import Account, AdminRole


class Command(BaseCommand):
    help = "设置管理员角色:system(系统管理员)、security(安全管理员)、audit(审计管理员),none 取消;同时取消超级用户权限"

    def add_arguments(self, parser):
        parser.add_argument("login_name")
        parser.add_argument("role", choices=[*AdminRole.values, "none"])

    def handle(self, *args, login_name, role, **options):
        account = Account.objects.filter(login_name__lower=login_name.lower()).first()
        if account is None:
            raise CommandError(f"no account {login_name!r}")
        roles.set_admin_role(account=account, role="" if role == "none" else role)
        shown = AdminRole(role).label if role != "none" else "none"
        self.stdout.write(f"{account.login_name}: {shown}")
