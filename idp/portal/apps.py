from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "idp.portal"
    label = "portal"
    verbose_name = "门户"
