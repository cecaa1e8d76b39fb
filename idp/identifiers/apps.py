from django.apps import AppConfig


class IdentifiersConfig(AppConfig):
    name = "idp.identifiers"
    label = "identifiers"
    verbose_name = "证件与号码校验"
