"""Publish new signing keys now; they start signing after --lead seconds (default
IDP_KEY_PUBLISH_SECONDS), and the current keys stay in the JWKS until their tokens expire."""

from django.core.management.base import BaseCommand

from idp.sso import keys


class Command(BaseCommand):
    help = "轮换签名密钥(新密钥先发布到 JWKS,到期后再用于签名)"

    def add_arguments(self, parser):
        parser.add_argument("--lead", type=int, default=None, help="新密钥发布多少秒后开始签名")

    def handle(self, *args, **opts):
        for key in keys.rotate(lead_seconds=opts["lead"]):
            self.stdout.write(f"{key.alg} {key.kid} signs from {key.active_from:%Y-%m-%d %H:%M:%S %Z}")
