from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "idp.sso"
    label = "sso"
    verbose_name = "单点登录"

    def ready(self):
        from idp.core import jobs, metrics
        from idp.sso import receivers  # noqa: F401  (connects the session signals)
        from idp.sso.models import LogoutDelivery

        def deliveries():
            waiting = LogoutDelivery.objects.filter(delivered_at__isnull=True)
            return {"pending": waiting.filter(failed_at__isnull=True).count(),
                    "failed": waiting.filter(failed_at__isnull=False).count()}

        jobs.every(1, "idp.sso.logout.deliver_due")
        jobs.every(60, "idp.sso.logout.purge_finished")
        jobs.every(10, "idp.sso.store.purge_expired")
        metrics.on_scrape("idp_logout_deliveries", "Single-logout deliveries not delivered: pending or given up",
                          deliveries)
