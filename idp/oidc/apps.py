from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "idp.oidc"
    label = "oidc"
    verbose_name = "OpenID Connect"

    def ready(self):
        from idp.core import events, jobs
        from idp.delegation.events import GrantEnded
        from idp.oidc import tokens
        from idp.sso.events import SessionEnded

        events.subscribe(SessionEnded, tokens.revoke_for_session)
        events.subscribe(GrantEnded, tokens.revoke_for_grant)
        jobs.every(60, "idp.oidc.tasks.purge")
