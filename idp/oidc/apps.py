from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "idp.oidc"
    label = "oidc"
    verbose_name = "OpenID Connect"

    def ready(self):
        from idp.core import jobs
        from idp.delegation.signals import grant_ended
        from idp.oidc import tokens
        from idp.sso.sessions import session_ended

        session_ended.connect(tokens.revoke_for_session, dispatch_uid="oidc-revoke-session")
        grant_ended.connect(tokens.revoke_for_grant, dispatch_uid="oidc-revoke-grant")
        jobs.every(60, "idp.oidc.tasks.purge")
