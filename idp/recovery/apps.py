from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "idp.recovery"
    label = "recovery"
    verbose_name = "密码找回"
