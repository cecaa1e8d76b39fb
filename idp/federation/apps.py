from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "idp.federation"
    label = "federation"
    verbose_name = "外部身份提供方"

    def ready(self):
        from idp.accounts import events as account_events
        from idp.accounts import hooks
        from idp.core import events
        from idp.federation import pages, signon

        hooks.login_choices.append(pages.login_buttons)
        hooks.profile_context.append(pages.profile_links)
        hooks.logout_redirects.append(signon.upstream_logout_url)
        events.subscribe(account_events.LoggedIn, signon.on_login)
