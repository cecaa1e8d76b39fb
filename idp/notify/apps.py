from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "idp.notify"
    label = "notify"
    verbose_name = "短信与验证码"
