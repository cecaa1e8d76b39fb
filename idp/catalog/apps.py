from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "idp.catalog"
    label = "catalog"
    verbose_name = _("业务系统与服务事项")
