from django.apps import AppConfig


class DelegationConfig(AppConfig):
    name = "idp.delegation"
    label = "delegation"
    verbose_name = "用户授权管理"
