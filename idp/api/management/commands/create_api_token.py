"""CONTRACT.md: a bearer token of the operator API (/api/admin/v1/), printed once."""

from django.core.management.base import BaseCommand, CommandError

from idp.api import tokens
from idp.api.models import ApiToken, Scope


class Command(BaseCommand):
    help = "生成运维接口(/api/admin/v1/)的访问令牌,只显示一次;--revoke 吊销"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="令牌名称(谁用、做什么)")
        parser.add_argument("--scope", nargs="+", default=[], dest="scopes",
                            help=f"权限范围,可多个:{' '.join(Scope.values)}")
        parser.add_argument("--days", type=int, default=90, help="有效天数(1–366,默认 90)")
        parser.add_argument("--revoke", action="store_true", help="吊销这个名称的令牌")

    def handle(self, *args, name, scopes, days, revoke, **options):
        if revoke:
            if not tokens.revoke(name):
                raise CommandError(f"no active token named {name!r}")
            self.stdout.write(f"{name}: revoked")
            return
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"a token named {name!r} exists already (--revoke it, or choose another name)")
        try:
            token = tokens.create(name=name, scopes=scopes, days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"token (give it to the tool now; it is not shown again): {token}")
