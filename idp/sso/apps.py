from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "idp.sso"
    label = "sso"
    verbose_name = _("单点登录")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from idp.accounts import events as account_events
        from idp.catalogue.models import BusinessSystem
        from idp.core import events, jobs, metrics
        from idp.delegation.events import GrantEnded
        from idp.sso import clients, keys, sessions
        from idp.sso.models import Client, LogoutDelivery

        # What single sign-on does when accounts and grants change (core/events.py).
        events.subscribe(account_events.LoggedIn, sessions.on_login)
        events.subscribe(account_events.LoggingOut, sessions.on_logout)
        events.subscribe(account_events.PasswordChanged, sessions.on_password_changed)
        events.subscribe(account_events.CredentialsReset, sessions.on_credentials_reset)
        events.subscribe(account_events.AccountDisabled, sessions.on_account_disabled)
        events.subscribe(GrantEnded, sessions.on_grant_ended)
        # Every process's copy of the registered clients follows each change, however it is made.
        for model in (Client, BusinessSystem):
            post_save.connect(clients.changed, sender=model, dispatch_uid=f"clients-changed-{model.__name__}")
            post_delete.connect(clients.changed, sender=model, dispatch_uid=f"clients-deleted-{model.__name__}")
        # The JWKS carries the SM2 keys while a system uses them (keys.py): a change may add or drop them.
        post_save.connect(keys.client_saved, sender=Client, dispatch_uid="keys-client-saved")
        post_delete.connect(keys.client_saved, sender=Client, dispatch_uid="keys-client-deleted")

        def deliveries():
            waiting = LogoutDelivery.objects.filter(delivered_at__isnull=True)
            return {"pending": waiting.filter(failed_at__isnull=True).count(),
                    "failed": waiting.filter(failed_at__isnull=False).count()}

        jobs.register("idp.sso.logout.deliver")
        jobs.every(1, "idp.sso.logout.deliver_due")
        jobs.every(60, "idp.sso.logout.purge_finished")
        jobs.every(10, "idp.sso.store.purge_expired")
        metrics.on_scrape("idp_logout_deliveries", "Single-logout deliveries not delivered: pending or given up",
                          deliveries)
