from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MigrationConfig(AppConfig):
    name = "idp.migration"
    label = "legacy_migration"
    verbose_name = _("火炬中心用户转移")
