from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "idp.api"
    label = "operator_api"
    verbose_name = _("运维接口")
