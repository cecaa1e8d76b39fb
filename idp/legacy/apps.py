from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegacyConfig(AppConfig):
    """火炬中心用户转移. The package was idp/migration; the app label stays `legacy_migration`, so
    deployed tables, migration history and content types are untouched by the rename."""

    name = "idp.legacy"
    label = "legacy_migration"
    verbose_name = _("火炬中心用户转移")
