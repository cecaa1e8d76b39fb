from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "idp.sso"
    label = "sso"
    verbose_name = "单点登录"

    def ready(self):
        from idp.sso import receivers  # noqa: F401  (connects the session signals)
