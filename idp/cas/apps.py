from django.apps import AppConfig


class CasConfig(AppConfig):
    name = "idp.cas"
    label = "cas"
    verbose_name = "CAS 3.0"

    def ready(self):
        from idp.cas import tickets
        from idp.sso.sessions import session_ended

        session_ended.connect(tickets.forget_session_tickets, dispatch_uid="cas-forget-tickets")
