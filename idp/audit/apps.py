from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "idp.audit"
    label = "audit"
    verbose_name = _("审计日志")

    def ready(self):
        from idp.core import jobs

        jobs.every(1, "idp.audit.chain.seal_job")  # the tamper-evident chain (audit/chain.py)
