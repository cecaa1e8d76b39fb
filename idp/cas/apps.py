from django.apps import AppConfig


class CasConfig(AppConfig):
    name = "idp.cas"
    label = "cas"
    verbose_name = "CAS 3.0"

    def ready(self):
        from idp.accounts import hooks
        from idp.cas import tickets, views
        from idp.core import events
        from idp.sso.events import SessionEnded

        events.subscribe(SessionEnded, tickets.forget_session_tickets)
        hooks.login_answers.append(views.answer_after_login)
