from django.apps import AppConfig


class SamlConfig(AppConfig):
    name = "idp.saml"
    label = "saml"
    verbose_name = "SAML 2.0"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from idp.accounts import events as account_events
        from idp.catalogue.models import Protocol
        from idp.core import events
        from idp.saml import registration, signing, slo
        from idp.saml.models import ServiceProvider
        from idp.sso import clients, logout
        from idp.sso.models import LogoutDelivery

        signing.self_test()  # a mismatched lxml/xmlsec pair stops the start here
        clients.PROTOCOL_SETUP[Protocol.SAML] = registration.set_up
        logout.PROTOCOL_DELIVERIES[Protocol.SAML] = slo.deliveries
        logout.PROTOCOL_SENDERS[LogoutDelivery.Kind.SAML] = slo.send
        # Before the platform session ends, the providers to tell through the browser are noted.
        events.subscribe(account_events.LoggingOut, slo.on_logging_out)
        # Providers are kept with the registered clients: any change makes every process forget.
        post_save.connect(clients.changed, sender=ServiceProvider, dispatch_uid="clients-changed-ServiceProvider")
        post_delete.connect(clients.changed, sender=ServiceProvider, dispatch_uid="clients-deleted-ServiceProvider")
