from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "idp.console"
    label = "console"
    verbose_name = "审核与管理控制台"
