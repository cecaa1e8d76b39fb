from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealnameConfig(AppConfig):
    name = "idp.realname"
    label = "realname"
    verbose_name = _("实名认证")

    def ready(self):
        from idp.accounts import signals
        from idp.core import jobs, metrics
        from idp.realname import services

        jobs.register("idp.realname.tasks.check_registration")
        # Asked from accounts (a layer below) through its signals, never by an import of this app.
        signals.registered.connect(
            lambda account, ip, **signal: jobs.enqueue("idp.realname.tasks.check_registration", account.pk, ip),
            weak=False, dispatch_uid="realname-check-registration")
        signals.identity_changed.connect(
            lambda account, actor, ip, **signal: services.identity_changed(account=account, actor=actor, ip=ip),
            weak=False, dispatch_uid="realname-identity-changed")
        from idp.realname.models import Submission, SubmissionStatus

        metrics.on_scrape("idp_review_queue", "Submissions and appeals waiting for a reviewer", lambda: {
            "verification": Submission.objects.filter(status=SubmissionStatus.PENDING).count()})
