from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "idp.notify"
    label = "notify"
    verbose_name = "短信与验证码"

    def ready(self):
        from idp.core import jobs

        jobs.every(60, "idp.notify.tasks.purge")
