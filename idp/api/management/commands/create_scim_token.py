"""CONTRACT.md: a bearer token of the platform's SCIM service (/scim/v2/), printed once."""

from django.core.management.base import BaseCommand, CommandError

from idp.api import tokens
from idp.api.models import ApiToken, Scope


class Command(BaseCommand):
    help = "生成 SCIM 服务(/scim/v2/)的访问令牌,只显示一次;默认可读写,--read-only 只读"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="令牌名称(哪个工具使用)")
        parser.add_argument("--read-only", action="store_true", help="只读:不能创建或修改用户")
        parser.add_argument("--days", type=int, default=90, help="有效天数(1–366,默认 90)")

    def handle(self, *args, name, read_only, days, **options):
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"a token named {name!r} exists already (create_api_token --name {name} --revoke)")
        scopes = [Scope.SCIM_READ] if read_only else [Scope.SCIM_READ, Scope.SCIM_WRITE]
        try:
            token = tokens.create(name=name, scopes=scopes, days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"token (give it to the tool now; it is not shown again): {token}")
