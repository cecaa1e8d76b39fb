from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "idp.catalogue"
    label = "catalog"  # the tables and migration history of deployed databases keep their names
    verbose_name = _("业务系统与服务事项")
