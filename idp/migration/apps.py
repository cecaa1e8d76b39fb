from django.apps import AppConfig


class MigrationConfig(AppConfig):
    name = "idp.migration"
    label = "legacy_migration"
    verbose_name = "火炬中心用户转移"
