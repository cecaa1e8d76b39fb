from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "idp.console"
    label = "console"
    verbose_name = _("审核与管理控制台")
