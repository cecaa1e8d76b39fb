from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "idp.notify"
    label = "notify"
    verbose_name = _("短信与验证码")

    def ready(self):
        from idp.core import jobs

        jobs.register("idp.notify.tasks.deliver")
        jobs.every(60, "idp.notify.tasks.purge")
