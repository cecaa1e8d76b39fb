from django.apps import AppConfig


class RealnameConfig(AppConfig):
    name = "idp.realname"
    label = "realname"
    verbose_name = "实名认证"

    def ready(self):
        from idp.core import metrics
        from idp.realname.models import Submission, SubmissionStatus

        metrics.on_scrape("idp_review_queue", "Submissions and appeals waiting for a reviewer", lambda: {
            "verification": Submission.objects.filter(status=SubmissionStatus.PENDING).count()})
