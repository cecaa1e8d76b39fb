from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "idp.recovery"
    label = "recovery"
    verbose_name = _("密码找回")

    def ready(self):
        from idp.core import metrics
        from idp.recovery.models import Appeal, AppealStatus

        metrics.on_scrape("idp_review_queue", "Submissions and appeals waiting for a reviewer", lambda: {
            "appeal": Appeal.objects.filter(status=AppealStatus.PENDING).count()})
