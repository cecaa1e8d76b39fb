from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "idp.accounts"
    label = "accounts"
    verbose_name = _("账号")

    def ready(self):
        from django.db.models import CharField
        from django.db.models.functions import Lower

        from idp.core import jobs
        from idp.core.lookups import AnyOf

        # `login_name__lower=...` compiles to LOWER(login_name) = ..., which the
        # case-insensitive unique index on LOWER(login_name) serves.
        CharField.register_lookup(Lower)
        CharField.register_lookup(AnyOf)
        jobs.every(24 * 60, "idp.accounts.services.disable_dormant_staff")
