from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntranceConfig(AppConfig):
    """办理入口: the service catalogue's pages, entering a business system as oneself or for an
    organisation, 我的关注 / 我要办理 / 我的事项. Above single sign-on and delegation; the registry
    of business systems and items it shows is idp.catalogue, below both."""

    name = "idp.entrance"
    label = "entrance"
    verbose_name = _("办理入口")
