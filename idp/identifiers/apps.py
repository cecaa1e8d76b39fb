from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentifiersConfig(AppConfig):
    name = "idp.identifiers"
    label = "identifiers"
    verbose_name = _("证件与号码校验")
