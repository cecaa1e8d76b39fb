"""SCIM 2.0 push (provisioning/scim.py) against `scim2-server`, the reference SCIM server, standing for a
business system: it is started by each test, with a bearer token, and read back over its own HTTP API.

A person who enters the system arrives as a User (externalId = the subject the system sees in tokens),
a rename and a disabling follow, an organisation's grant arrives as a Group with the delegate as member;
a target restarted empty is refilled by the reconcile; a target that stops answering receives
everything afterwards without a duplicate; 250 delegates arrive complete; a refusal is not retried."""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from idp.accounts import services as accounts
from idp.audit.log import record
from idp.audit.models import Event
from idp.delegation import services as delegation
from idp.delegation.models import Grant
from idp.provisioning import scim
from idp.provisioning.models import ScimChange, ScimResource, ScimTarget
from idp.sso import claims
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db
SERVER = Path(sys.executable).with_name("scim2-server")
TOKEN = "scim-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScimServer:
    """scim2-server in a process of its own; `restart` empties it, `pause`/`resume` stop it answering."""

    def __init__(self, *options):
        self.port, self.process, self.options = free_port(), None, list(options)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = subprocess.Popen([str(SERVER), "--port", str(self.port), "--bearer-token", TOKEN,
                                         *self.options],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if requests.get(f"{self.url}/ServiceProviderConfig", headers=self.auth, timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("scim2-server did not start")

    def stop(self):
        self.resume()
        self.process.terminate()
        self.process.wait(10)

    def restart(self):
        self.stop()
        self.start()

    def pause(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.process.pid, signal.SIGCONT)

    @property
    def auth(self):
        return {"Authorization": f"Bearer {TOKEN}"}

    def all(self, kind) -> list[dict]:
        answer = requests.get(f"{self.url}/{kind}", params={"count": 1000}, headers=self.auth, timeout=5).json()
        return answer.get("Resources", [])

    def one(self, kind, external_id) -> dict:
        [found] = [r for r in self.all(kind) if r.get("externalId") == external_id]
        return found


def started(*options):
    if not SERVER.exists():
        pytest.skip("scim2-server is not installed (make install)")
    running = ScimServer(*options)
    running.start()
    return running


@pytest.fixture
def server():
    running = started()
    yield running
    running.stop()


@pytest.fixture
def put_only_server(tmp_path):
    """A service whose ServiceProviderConfig says it does not support PATCH (it then answers 501)."""
    config = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
              "patch": {"supported": False}, "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
              "filter": {"supported": True, "maxResults": 1000}, "changePassword": {"supported": False},
              "sort": {"supported": False}, "etag": {"supported": False},
              "authenticationSchemes": [{"type": "oauthbearertoken", "name": "bearer", "description": "bearer"}]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    running = started("--service-provider-config", str(tmp_path / "config.json"))
    yield running
    running.stop()


def system_with_scim(code, server, *extra):
    client = helpers.oidc_client(code, delegable=True)
    system = client.client.system
    out = io.StringIO()
    call_command("register_business_system", "--name", system.name, "--protocol", "oidc", "--code", code,
                 "--scim-url", server.url, "--scim-token", TOKEN, *extra, stdout=out)
    assert f"scim: {server.url}" in out.getvalue()
    return system


def enter(person, system):
    """What a sign-on to the system writes (oidc/views.py, cas/views.py, saml/signon.py)."""
    from idp.catalogue.models import SystemVisit
    SystemVisit.objects.get_or_create(account=person, system=system, defaults={"last_entered_at": timezone.now()})
    record(Event.SSO_SIGN_ON, account=person, actor=person, system=system.code)


def rename(person, name):
    profile = person.person
    profile.name = name
    accounts.update_profile(account=person, profile=profile, email=person.email, documents=(), actor=person)


def test_a_person_and_the_organisation_they_act_for_arrive_and_follow_every_change(server):
    system = system_with_scim("scim-flow", server)
    person = factories.natural_account(name="张三")
    enter(person, system)
    sub = claims.subject(person)
    user = server.one("Users", sub)
    assert user["userName"] == sub and user["displayName"] == "张三" and user["active"] is True
    assert user["entitlements"] == [{"value": f"realname:{person.realname_status}", "type": "realname"}]
    assert person.login_name not in json.dumps(user, ensure_ascii=False)  # no login name leaves

    rename(person, "张三丰")
    assert server.one("Users", sub)["displayName"] == "张三丰"
    assert server.one("Users", sub)["name"]["formatted"] == "张三丰"

    organisation = factories.legal_account(name="火炬科技有限公司")
    [grant] = delegation.create_grants(organisation=organisation, person=person, systems=[system], expires_on=None,
                                       actor=organisation)
    group = server.one("Groups", claims.subject(organisation))
    assert group["displayName"] == organisation.display_name
    assert [m["value"] for m in group["members"]] == [user["id"]]

    accounts.set_active(account=person, active=False, actor=factories.staff())
    assert server.one("Users", sub)["active"] is False

    delegation.revoke_grant(organisation=organisation, grant_id=grant.pk, actor=organisation)
    assert not server.one("Groups", claims.subject(organisation)).get("members")
    assert len(server.all("Users")) == 1 and len(server.all("Groups")) == 1  # changed in place, never again
    assert scim.undelivered() == {"pending": 0, "failed": 0}


def test_a_second_sign_on_sends_nothing_and_other_systems_hear_nothing(server):
    system = system_with_scim("scim-quiet", server)
    other = helpers.oidc_client("scim-other").client.system
    person = factories.natural_account()
    enter(person, system)
    changes = ScimChange.objects.count()
    enter(person, system)
    enter(person, other)
    assert ScimChange.objects.count() == changes and len(server.all("Users")) == 1


def test_a_target_restarted_empty_is_refilled_by_the_reconcile(server):
    system = system_with_scim("scim-refill", server)
    organisation = factories.legal_account()
    people = [factories.natural_account() for _ in range(3)]
    for person in people:
        enter(person, system)
    delegation.create_grants(organisation=organisation, person=people[0], systems=[system], expires_on=None,
                             actor=organisation)
    assert len(server.all("Users")) == 3 and len(server.all("Groups")) == 1

    server.restart()
    assert server.all("Users") == []
    out = io.StringIO()
    call_command("scim_reconcile", "--system", "scim-refill", stdout=out)
    assert json.loads(out.getvalue()) == {"system": "scim-refill", "dry_run": False, "users": 3, "groups": 1}
    users = {u["externalId"]: u["id"] for u in server.all("Users")}
    assert set(users) == {claims.subject(p) for p in people}
    group = server.one("Groups", claims.subject(organisation))
    assert [m["value"] for m in group["members"]] == [users[claims.subject(people[0])]]

    call_command("scim_reconcile", "--system", "scim-refill", stdout=io.StringIO())  # nothing to repair: no copies
    assert len(server.all("Users")) == 3 and len(server.all("Groups")) == 1


def test_registering_a_target_pushes_everyone_the_system_knows_already(server):
    system = helpers.oidc_client("scim-late").client.system
    person = factories.natural_account()
    enter(person, system)
    system_with_scim("scim-late", server)
    assert server.one("Users", claims.subject(person))["active"] is True


def test_a_target_that_stops_answering_receives_everything_afterwards_once(server, settings):
    system = system_with_scim("scim-down", server)
    person = factories.natural_account(name="李四")
    enter(person, system)
    server.pause()
    try:
        scim.TIMEOUT, timeout = 1.0, scim.TIMEOUT
        rename(person, "李四海")
        accounts.set_active(account=person, active=False, actor=factories.staff())
        waiting = ScimChange.objects.filter(delivered_at__isnull=True)
        assert waiting.count() == 2 and all(c.attempts == 1 and c.failed_at is None for c in waiting)
        assert "ReadTimeout" in waiting.first().last_error
        assert scim.undelivered()["pending"] == 2
    finally:
        scim.TIMEOUT = timeout
        server.resume()
    ScimChange.objects.update(next_attempt_at=timezone.now())
    assert scim.deliver_due() == 2
    user = server.one("Users", claims.subject(person))
    assert user["displayName"] == "李四海" and user["active"] is False
    assert len(server.all("Users")) == 1


def test_an_answer_lost_after_a_create_makes_no_second_user(server):
    system = system_with_scim("scim-lost", server)
    person = factories.natural_account(name="周八")
    enter(person, system)
    ScimResource.objects.all().delete()  # as if the target's 201 never reached the platform
    rename(person, "周八九")
    assert len(server.all("Users")) == 1
    assert server.one("Users", claims.subject(person))["displayName"] == "周八九"
    ScimResource.objects.all().delete()
    ScimTarget.objects.update(reconciled_at=None)
    call_command("scim_reconcile", "--system", "scim-lost", stdout=io.StringIO())
    assert len(server.all("Users")) == 1 and ScimResource.objects.count() == 1


def test_250_delegates_arrive_complete_in_chunks(server):
    system = system_with_scim("scim-big", server)
    organisation = factories.legal_account()
    people = [factories.natural_account() for _ in range(250)]
    Grant.objects.bulk_create([Grant(organisation=organisation, person=p, system=system) for p in people])
    call_command("scim_reconcile", "--system", "scim-big", stdout=io.StringIO())
    group = server.one("Groups", claims.subject(organisation))
    users = {u["externalId"]: u["id"] for u in server.all("Users")}
    assert len(users) == 250
    assert sorted(m["value"] for m in group["members"]) == sorted(users.values())

    Grant.objects.filter(person__in=people[:120]).delete()  # fewer delegates: removed, the rest kept
    scim.queue(ScimTarget.objects.get(), organisation.pk)
    group = server.one("Groups", claims.subject(organisation))
    assert len(group["members"]) == 130


def test_a_target_without_patch_gets_whole_resources(put_only_server):
    server = put_only_server
    system = system_with_scim("scim-put", server)
    person, organisation = factories.natural_account(name="王五"), factories.legal_account()
    enter(person, system)
    rename(person, "王五六")
    [grant] = delegation.create_grants(organisation=organisation, person=person, systems=[system], expires_on=None,
                                       actor=organisation)
    assert server.one("Users", claims.subject(person))["displayName"] == "王五六"
    assert len(server.one("Groups", claims.subject(organisation))["members"]) == 1
    delegation.revoke_grant(organisation=organisation, grant_id=grant.pk, actor=organisation)
    assert not server.one("Groups", claims.subject(organisation)).get("members")
    assert ScimTarget.objects.get().patch_supported is False and scim.undelivered()["failed"] == 0


def test_a_refusal_is_not_retried_and_a_dry_run_sends_nothing(server):
    system = system_with_scim("scim-refused", server)
    target = ScimTarget.objects.get()
    target.token = "wrong"
    target.save()
    person = factories.natural_account()
    enter(person, system)
    change = ScimChange.objects.get()
    assert change.failed_at is not None and change.attempts == 1 and "HTTP 401" in change.last_error
    assert scim.undelivered() == {"pending": 0, "failed": 1}

    dry = helpers.oidc_client("scim-dry").client.system
    call_command("register_business_system", "--name", dry.name, "--protocol", "oidc", "--code", "scim-dry",
                 "--scim-url", server.url, "--scim-token", TOKEN, "--scim-dry-run", stdout=io.StringIO())
    enter(factories.natural_account(), dry)
    assert server.all("Users") == [] and not ScimResource.objects.exists()
    out = io.StringIO()
    call_command("scim_reconcile", "--system", "scim-dry", stdout=out)  # what it would send, counted
    assert json.loads(out.getvalue()) == {"system": "scim-dry", "dry_run": True, "create": 1, "update": 0,
                                          "unchanged": 0}
    assert server.all("Users") == []


def test_the_registration_options_are_checked(server):
    helpers.oidc_client("scim-bad")
    for extra, message in ((["--scim-url", server.url], "goes together with scim_token"),
                           (["--scim-url", "ftp://x", "--scim-token", "t"], r"not an http\(s\) URL")):
        with pytest.raises(Exception, match=message):
            call_command("register_business_system", "--name", "测试系统 scim-bad", "--protocol", "oidc",
                         "--code", "scim-bad", *extra, stdout=io.StringIO())
    with pytest.raises(Exception, match="has no SCIM target"):
        call_command("scim_reconcile", "--system", "scim-bad", stdout=io.StringIO())
    assert timedelta(seconds=sum(scim.RETRY_DELAYS)) > timedelta(hours=9)  # a night's outage still catches up
