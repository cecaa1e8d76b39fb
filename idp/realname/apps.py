from django.apps import AppConfig


class RealnameConfig(AppConfig):
    name = "idp.realname"
    label = "realname"
    verbose_name = "实名认证"
