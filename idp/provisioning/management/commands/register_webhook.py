"""Tell a business system of account and grant changes by signed webhooks (provisioning/webhooks.py)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from idp.catalogue.models import BusinessSystem
from idp.provisioning import webhooks
from idp.provisioning.models import WebhookEndpoint


class Command(BaseCommand):
    help = ("登记业务系统的事件通知地址(Webhook):账号与代办授权变更时签名推送;"
            "首次登记或 --new-secret 时打印签名密钥(只显示一次)")

    def add_arguments(self, parser):
        parser.add_argument("--system", required=True, help="业务系统代码(client_id)")
        parser.add_argument("--url", help="接收事件的 https 地址")
        parser.add_argument("--new-secret", action="store_true", help="生成新的签名密钥(旧密钥立即失效)")
        parser.add_argument("--disable", action="store_true", help="停止推送")

    def handle(self, *args, system, url, new_secret, disable, **options):
        found = BusinessSystem.objects.filter(code=system).first()
        if found is None:
            raise CommandError(f"no business system {system!r}")
        if disable:
            WebhookEndpoint.objects.filter(system=found).update(is_active=False)
            self.stdout.write(f"{system}: webhooks stopped")
            return
        if not url:
            raise CommandError("--url is required (or --disable)")
        try:
            URLValidator(schemes=["https", "http"])(url)
        except ValidationError:
            raise CommandError(f"--url {url!r} is not an http(s) URL") from None
        secret = webhooks.register(system=found, url=url, new_secret=new_secret)
        self.stdout.write(f"{system}: events go to {url}")
        if secret:
            self.stdout.write(f"signing secret (give it to the system now; it is not shown again): {secret}")
