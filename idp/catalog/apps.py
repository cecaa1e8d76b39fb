from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "idp.catalog"
    label = "catalog"
    verbose_name = "业务系统与服务事项"
