"""Publish new signing keys now; they start signing after --lead seconds (default
IDP_KEY_PUBLISH_SECONDS, at least the JWKS cache's lifetime), and the current keys stay in the JWKS
until their tokens expire. --emergency (a compromised key) takes any lead, 0 included."""

from django.core.management.base import BaseCommand, CommandError

from idp.sso import keys


class Command(BaseCommand):
    help = "轮换签名密钥(新密钥先发布到 JWKS,到期后再用于签名)"

    def add_arguments(self, parser):
        parser.add_argument("--lead", type=int, default=None, help="新密钥发布多少秒后开始签名(不少于 JWKS 缓存时间)")
        parser.add_argument("--emergency", action="store_true",
                            help="密钥泄露时使用:允许更短的 --lead(包括 0);"
                                 "缓存了旧 JWKS 的业务系统会拒绝新令牌直到刷新")

    def handle(self, *args, **opts):
        try:
            rotated = keys.rotate(lead_seconds=opts["lead"], emergency=opts["emergency"])
        except keys.LeadTooShort as refused:
            raise CommandError(str(refused)) from None
        for key in rotated:
            self.stdout.write(f"{key.alg} {key.kid} signs from {key.active_from:%Y-%m-%d %H:%M:%S %Z}")
