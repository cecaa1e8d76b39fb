from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "idp.oidc"
    label = "oidc"
    verbose_name = "OpenID Connect"

    def ready(self):
        from idp.accounts import hooks
        from idp.core import events, jobs
        from idp.delegation.events import GrantEnded
        from idp.oidc import tokens, views
        from idp.sso.events import SessionEnded

        events.subscribe(SessionEnded, tokens.revoke_for_session)
        events.subscribe(GrantEnded, tokens.revoke_for_grant)
        hooks.login_answers.append(views.answer_after_login)
        jobs.every(60, "idp.oidc.tasks.purge")
