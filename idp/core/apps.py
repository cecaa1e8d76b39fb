from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "idp.core"
    label = "core"
    verbose_name = _("平台基础")

    def ready(self):
        from idp.core import checks, jobs  # noqa: F401  (importing checks registers the system checks)
        from idp.core.requestlog import stamp_records_with_the_request_id

        stamp_records_with_the_request_id()
        jobs.every(60, "idp.core.tasks.purge")
        # Sent per app with models; the queue's own app is the one whose tables the schedules need.
        post_migrate.connect(jobs.write_schedules, sender=self.apps.get_app_config("django_q"))
