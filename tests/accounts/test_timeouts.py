"""等保 2.0 session limits (accounts/timeouts.py): idle (staff sooner) and absolute, on every page."""

import time

import pytest

from idp.accounts import timeouts
from idp.audit.models import AuditEntry, Event
from tests import factories

pytestmark = pytest.mark.django_db


def signed_in(client, account, *, idle_minutes=0, hours=0):
    factories.sign_in(client, account)
    client.get("/online/")  # the first request stamps the session
    session = client.session
    now = time.time()
    session[timeouts.SEEN_AT_KEY] = now - idle_minutes * 60
    session[timeouts.LOGIN_AT_KEY] = now - hours * 3600 - idle_minutes * 60
    session.save()


def test_a_person_idle_past_the_limit_is_signed_out_with_a_sentence(client, settings):
    account = factories.natural_account()
    signed_in(client, account, idle_minutes=settings.IDP_SESSION_IDLE_MINUTES + 1)
    response = client.get("/online/profile/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert "由于长时间未操作,您已安全退出" in response.content.decode()
    entry = AuditEntry.objects.filter(event=Event.LOGOUT, account=account).get()
    assert entry.detail["via"] == "idle"


def test_staff_are_signed_out_sooner(client, settings):
    person, staff = factories.natural_account(), factories.staff()
    minutes = settings.IDP_STAFF_SESSION_IDLE_MINUTES + 1
    assert minutes < settings.IDP_SESSION_IDLE_MINUTES
    signed_in(client, person, idle_minutes=minutes)
    assert client.get("/online/profile/").status_code == 200
    signed_in(client, staff, idle_minutes=minutes)
    assert client.get("/online/profile/").status_code == 302


def test_a_request_keeps_the_session_alive(client, settings):
    account = factories.natural_account()
    signed_in(client, account, idle_minutes=settings.IDP_SESSION_IDLE_MINUTES - 1)
    assert client.get("/online/profile/").status_code == 200
    assert time.time() - client.session[timeouts.SEEN_AT_KEY] < 5


def test_the_absolute_lifetime_ends_even_a_busy_session(client, settings):
    account = factories.natural_account()
    signed_in(client, account, hours=settings.IDP_SESSION_MAX_HOURS)
    response = client.get("/online/profile/", follow=True)
    assert "登录时间已达上限" in response.content.decode()
    assert AuditEntry.objects.get(event=Event.LOGOUT, account=account).detail["via"] == "lifetime"


def test_dormant_staff_are_disabled_and_dormant_people_listed(settings):
    import io
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from idp.accounts.models import Account

    long_ago = timezone.now() - timedelta(days=settings.IDP_STAFF_DORMANT_DAYS + 1)
    stale, fresh = factories.staff("stale_reviewer"), factories.staff("busy_reviewer")
    person = factories.natural_account("quiet_person")
    Account.objects.filter(pk__in=[stale.pk, person.pk]).update(last_login=long_ago)
    Account.objects.filter(pk=fresh.pk).update(last_login=timezone.now())
    out = io.StringIO()
    call_command("dormant_accounts", "--days", str(settings.IDP_STAFF_DORMANT_DAYS), "--disable-staff", stdout=out)
    assert "staff stale_reviewer" in out.getvalue() and "disabled 1 staff account" in out.getvalue()
    assert not Account.objects.get(pk=stale.pk).is_active and Account.objects.get(pk=fresh.pk).is_active
    assert Account.objects.get(pk=person.pk).is_active  # people are listed, not disabled
    entry = AuditEntry.objects.get(event=Event.ACCOUNT_DISABLED, account=stale)
    assert entry.actor is None and entry.detail["reason"] == "dormant"
