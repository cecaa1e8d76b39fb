"""Delivers single-logout notifications (OIDC back-channel logout tokens, CAS SAML
LogoutRequests) with retries. `make run` starts one; run one or more next to the web workers."""

from django.core.management.base import BaseCommand

from idp.sso import logout


class Command(BaseCommand):
    help = "发送单点退出通知(后台任务,失败自动重试)"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="发送当前到期的通知后退出")

    def handle(self, *args, **opts):
        if opts["once"]:
            sent = logout.deliver_due()
            self.stdout.write(f"delivered: {sent}")
            return
        self.stdout.write("logout worker running")
        logout.run_worker()
