from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DelegationConfig(AppConfig):
    name = "idp.delegation"
    label = "delegation"
    verbose_name = _("用户授权管理")

    def ready(self):
        from idp.accounts import hooks
        from idp.delegation.selectors import grants_received

        # 我的信息 of a person lists the organisations that authorised them (法人(单位)授权办理情况).
        hooks.profile_context.append(lambda account: {"grants": grants_received(account)} if account.is_natural else {})
