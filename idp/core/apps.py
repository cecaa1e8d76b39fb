from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "idp.core"
    label = "core"
    verbose_name = "平台基础"

    def ready(self):
        from idp.core import checks  # noqa: F401  (registers the system checks)
        from idp.core.requestlog import stamp_records_with_the_request_id

        stamp_records_with_the_request_id()
