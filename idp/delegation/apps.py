from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DelegationConfig(AppConfig):
    name = "idp.delegation"
    label = "delegation"
    verbose_name = _("用户授权管理")
