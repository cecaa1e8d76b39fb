"""Ties the platform session to the SSO session: login starts one; logout, a password reset
and an account lock end it (and so log the user out of every business system); a password
change ends the account's SSO sessions in other browsers."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from idp.accounts.models import Account
from idp.accounts.signals import credentials_reset, password_changed
from idp.delegation.signals import grant_ended
from idp.sso import sessions
from idp.sso.models import SsoSession


@receiver(user_logged_in)
def _start(sender, request, user, **kwargs):
    sessions.start(request, user)
    request.session[sessions.FRESH_LOGIN_KEY] = time.time()


@receiver(user_logged_out)
def _end(sender, request, user, **kwargs):
    sid = sessions.current_sid(request) if request is not None else None
    session = SsoSession.objects.filter(sid=sid, ended_at__isnull=True).first() if sid else None
    if session is not None:
        sessions.end(session, reason="logout")


@receiver(credentials_reset)
def _reset(sender, account, **kwargs):
    sessions.end_for_account(account, reason="password_reset")


@receiver(password_changed)
def _password_changed(sender, account, request, **kwargs):
    sessions.end_for_account(account, reason="password_changed", keep_sid=sessions.current_sid(request))


@receiver(grant_ended)
def _grant_ended(sender, grant, **kwargs):
    sessions.leave_for_grant(grant)


@receiver(post_save, sender=Account)
def _locked(sender, instance, **kwargs):
    if not instance.is_active:
        sessions.end_for_account(instance, reason="account_locked")
