from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealnameConfig(AppConfig):
    name = "idp.realname"
    label = "realname"
    verbose_name = _("实名认证")

    def ready(self):
        from idp.core import metrics
        from idp.realname.models import Submission, SubmissionStatus

        metrics.on_scrape("idp_review_queue", "Submissions and appeals waiting for a reviewer", lambda: {
            "verification": Submission.objects.filter(status=SubmissionStatus.PENDING).count()})
