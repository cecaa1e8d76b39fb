from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealnameConfig(AppConfig):
    name = "idp.realname"
    label = "realname"
    verbose_name = _("实名认证")

    def ready(self):
        from idp.accounts import events as account_events
        from idp.core import events, jobs, metrics
        from idp.realname import services

        jobs.register("idp.realname.tasks.check_registration")
        # What real-name verification does when accounts change (core/events.py).
        events.subscribe(account_events.Registered, services.on_registered)
        events.subscribe(account_events.IdentityChanged, services.on_identity_changed)
        from idp.realname.models import Submission, SubmissionStatus

        metrics.on_scrape("idp_review_queue", "Submissions and appeals waiting for a reviewer", lambda: {
            "verification": Submission.objects.filter(status=SubmissionStatus.PENDING).count()})
