"""Signed webhooks (provisioning/webhooks.py): a grant reaches its system once, an account's change
reaches the systems that know it, each signed and timestamped; a receiver that is down gets it later,
one that refuses it leaves a dead letter the console offers again."""

import hashlib
import hmac
import io
import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from idp.accounts import services as accounts
from idp.audit.models import AuditEntry, Event
from idp.catalogue.models import SystemVisit
from idp.delegation import services as delegation
from idp.provisioning import webhooks
from idp.provisioning.models import WebhookDelivery, WebhookEndpoint
from idp.sso import claims
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db


def system_with_webhook(code, receiver, path="/events"):
    client = helpers.oidc_client(code)
    system = client.client.system
    system.delegable = True
    system.save(update_fields=["delegable"])
    out = io.StringIO()
    call_command("register_webhook", "--system", code, "--url", receiver.url + path, stdout=out)
    secret = out.getvalue().split("it is not shown again): ")[1].strip()
    return system, secret


def signed_by(secret, headers, body) -> bool:
    """The receiver's check, written from the documentation (not the platform's own verify())."""
    stamp, event_id = headers["Idp-Webhook-Timestamp"], headers["Idp-Webhook-Id"]
    expected = hmac.new(secret.encode(), f"{event_id}.{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return headers["Idp-Webhook-Signature"] == f"v1={expected}" and abs(time.time() - int(stamp)) < 300


def test_a_grant_reaches_its_system_once_signed(receiver):
    system, secret = system_with_webhook("wh-grants", receiver)
    organisation, person = factories.legal_account(), factories.natural_account()
    [grant] = delegation.create_grants(organisation=organisation, person=person, systems=[system], expires_on=None,
                                       actor=organisation)
    assert len(receiver.bodies) == 1  # written twice in the audit log, told once
    body = json.loads(receiver.bodies[0])
    assert body["type"] == "grant.created" and body["system"] == "wh-grants"
    assert body["data"]["grant"] == {"id": grant.pk, "organisation": claims.subject(organisation),
                                     "organisation_name": organisation.display_name,
                                     "person": claims.subject(person), "status": "active", "expires_on": None}
    assert signed_by(secret, receiver.headers[0], receiver.bodies[0])
    assert receiver.headers[0]["Idp-Webhook-Id"] == body["id"]
    assert person.login_name.encode() not in receiver.bodies[0]  # systems see subjects, not login names

    delegation.revoke_grant(organisation=organisation, grant_id=grant.pk, actor=organisation)
    ended = json.loads(receiver.bodies[-1])
    assert ended["type"] == "grant.ended" and ended["data"]["grant"]["status"] != "active"


def test_an_account_change_reaches_only_the_systems_that_know_it(receiver):
    known, secret = system_with_webhook("wh-known", receiver, "/known")
    system_with_webhook("wh-other", receiver, "/other")
    person = factories.natural_account()
    SystemVisit.objects.create(account=person, system=known, last_entered_at=timezone.now())
    staff = factories.staff()
    accounts.set_active(account=person, active=False, actor=staff)
    [(path, _)] = receiver.posts
    body = json.loads(receiver.bodies[0])
    assert path == "/known" and body["type"] == "account.disabled"
    assert body["data"]["account"] == {"sub": claims.subject(person), "type": "natural", "name": person.display_name,
                                       "realname_status": person.realname_status, "active": False}
    assert signed_by(secret, receiver.headers[0], receiver.bodies[0])


def test_a_receiver_that_is_down_gets_it_later_once(receiver):
    system, _ = system_with_webhook("wh-down", receiver)
    person = factories.natural_account()
    SystemVisit.objects.create(account=person, system=system, last_entered_at=timezone.now())
    receiver.status = 503
    accounts.set_active(account=person, active=False, actor=factories.staff())
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.delivered_at is None and delivery.failed_at is None
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert webhooks.deliver_due() == 0  # not due yet
    receiver.status = 200
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    assert webhooks.deliver_due() == 1 and webhooks.deliver_due() == 0
    ids = {headers["Idp-Webhook-Id"] for headers in receiver.headers}
    assert len(receiver.bodies) == 2 and len(ids) == 1  # the same event: the receiver can tell the repeat


def test_a_refusal_is_a_dead_letter_the_console_offers_again(receiver):
    system, _ = system_with_webhook("wh-refused", receiver)
    person = factories.natural_account(name="投递对象")
    SystemVisit.objects.create(account=person, system=system, last_entered_at=timezone.now())
    receiver.status = 400
    accounts.set_active(account=person, active=False, actor=factories.staff())
    delivery = WebhookDelivery.objects.get()
    assert delivery.failed_at is not None and delivery.last_error == "Refused: HTTP 400"  # no retry on a 4xx
    assert webhooks.undelivered() == {"pending": 0, "failed": 1}

    console = Client()
    factories.sign_in(console, factories.staff("ops"))
    page = console.get("/console/webhooks/").content.decode()
    assert "测试系统 wh-refused" in page and "account.disabled" in page and "HTTP 400" in page
    assert person.display_name not in page  # the body is not shown
    receiver.status = 200
    assert console.post(f"/console/webhooks/{delivery.pk}/retry/").status_code == 302
    delivery.refresh_from_db()
    assert delivery.delivered_at is not None and len(receiver.bodies) == 2
    assert "没有投递失败的事件通知" in console.get("/console/webhooks/").content.decode()


def test_the_same_event_is_written_once_however_often_the_job_runs(receiver):
    system, _ = system_with_webhook("wh-once", receiver)
    person = factories.natural_account()
    SystemVisit.objects.create(account=person, system=system, last_entered_at=timezone.now())
    accounts.set_active(account=person, active=False, actor=factories.staff())
    entry = AuditEntry.objects.get(event=Event.ACCOUNT_DISABLED, account=person)
    webhooks.fan_out(entry.pk)
    assert WebhookDelivery.objects.count() == 1 and len(receiver.bodies) == 1


def test_verify_refuses_a_forgery_and_a_replay():
    body, stamp = b'{"id":"e1"}', int(time.time())
    headers = {"Idp-Webhook-Id": "e1", "Idp-Webhook-Timestamp": str(stamp),
               "Idp-Webhook-Signature": webhooks.signature("s3cret", "e1", stamp, body)}
    assert webhooks.verify("s3cret", headers, body)
    assert not webhooks.verify("s3cret", headers, body + b" ")
    assert not webhooks.verify("other", headers, body)
    assert not webhooks.verify("s3cret", headers, body, now=stamp + webhooks.REPLAY_WINDOW + 1)
    assert not webhooks.verify("s3cret", {}, body)


def test_the_command_names_what_is_wrong():
    from django.core.management import CommandError

    helpers.oidc_client("wh-bad")
    for args, message in ((["--system", "nope", "--url", "https://x.example.cn/e"], "no business system 'nope'"),
                          (["--system", "wh-bad", "--url", "ftp://x.example.cn/e"], "is not an http\\(s\\) URL"),
                          (["--system", "wh-bad"], "--url is required")):
        with pytest.raises(CommandError, match=message):
            call_command("register_webhook", *args)
    assert not WebhookEndpoint.objects.exists()


def test_the_command_shows_the_secret_once_and_can_stop(receiver):
    helpers.oidc_client("wh-cmd")
    first, again, rotated = io.StringIO(), io.StringIO(), io.StringIO()
    call_command("register_webhook", "--system", "wh-cmd", "--url", receiver.url, stdout=first)
    call_command("register_webhook", "--system", "wh-cmd", "--url", receiver.url + "/v2", stdout=again)
    call_command("register_webhook", "--system", "wh-cmd", "--url", receiver.url, "--new-secret", stdout=rotated)
    assert "signing secret" in first.getvalue() and "signing secret" not in again.getvalue()
    assert first.getvalue().split(": ")[-1] != rotated.getvalue().split(": ")[-1]
    assert [e.detail["new_secret"] for e in AuditEntry.objects.filter(event=Event.WEBHOOK_REGISTERED)
            .order_by("id")] == [True, False, True]
    call_command("register_webhook", "--system", "wh-cmd", "--disable", stdout=io.StringIO())
    assert not WebhookEndpoint.objects.get().is_active
