"""The platform's SCIM 2.0 service (/scim/v2/, api/scim.py and scim_views.py): the stock checker
`scim2-tester` (through `scim2-cli`) passes every check against the running platform; and, as a
directory tool uses it, each write goes through the platform's own rules and audit log."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from idp.accounts.models import Account, AdminRole
from idp.api.models import ScimLink
from idp.audit.models import AuditEntry, Event
from idp.delegation import services as delegation
from tests import factories
from tests.sso import helpers

BASE = "/scim/v2"
SCIM_CLI = Path(sys.executable).with_name("scim2")
CONTENT_TYPE = "application/scim+json"


def token(*extra, name="directory") -> str:
    out = io.StringIO()
    call_command("create_scim_token", "--name", name, *extra, stdout=out)
    return out.getvalue().split("not shown again): ")[1].strip()


def tool(value) -> Client:
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {value}")


def send(client, method, path, body=None, **headers):
    return getattr(client, method)(BASE + path, json.dumps(body) if body is not None else "",
                                   content_type=CONTENT_TYPE, **headers)


def new_user(client, user_name="zhang_san", **fields):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": True,
            "name": {"formatted": "张三"}, **fields}
    return send(client, "post", "/Users", body)


@pytest.mark.django_db(transaction=True)
def test_the_stock_checker_passes_every_check(live_server, settings):
    if not SCIM_CLI.exists():
        pytest.skip("scim2-cli is not installed (make install)")
    settings.IDP_ISSUER = live_server.url
    value = token()
    environment = {**os.environ, "SCIM_CLI_HEADERS": f"Authorization: Bearer {value}"}
    run = subprocess.run([str(SCIM_CLI), "--url", f"{live_server.url}{BASE}", "test"], capture_output=True,
                         text=True, timeout=240, env=environment)
    lines = run.stdout.splitlines()
    print("\n".join(line for line in lines if not line.startswith(" ")))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert not [line for line in lines if line.startswith(("ERROR", "CRITICAL"))]
    assert sum(line.startswith("SUCCESS") for line in lines) >= 40


pytestmark_db = pytest.mark.django_db  # the tests below run in a transaction


@pytestmark_db
def test_no_call_without_a_token_with_the_scope():
    refused = Client().get(f"{BASE}/Users")
    assert refused.status_code == 401 and refused["Content-Type"] == CONTENT_TYPE
    assert refused.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    api_only = io.StringIO()
    call_command("create_api_token", "--name", "api", "--scope", "accounts:read", stdout=api_only)
    assert tool(api_only.getvalue().split(": ")[-1].strip()).get(f"{BASE}/Users").status_code == 403
    reader = tool(token("--read-only", name="reader"))
    assert reader.get(f"{BASE}/Users").status_code == 200
    written = new_user(reader)
    assert written.status_code == 403 and "scim:write" in written.json()["detail"]
    assert not Account.objects.exists()


@pytestmark_db
def test_a_user_is_made_by_the_platform_rules_and_audited():
    writer = tool(token())
    made = new_user(writer, externalId="hr-001", password="Hr@2026-strong")
    assert made.status_code == 201, made.content
    body = made.json()
    account = Account.objects.get(login_name="zhang_san")
    assert body["id"] == str(account.pk) and body["externalId"] == "hr-001" and "password" not in body
    assert made["Location"].endswith(f"/scim/v2/Users/{account.pk}") and made["ETag"] == body["meta"]["version"]
    assert account.person.name == "张三" and account.check_password("Hr@2026-strong")
    assert account.realname_status == "unverified" and account.is_natural
    entry = AuditEntry.objects.get(event=Event.REGISTERED)
    assert entry.account_id == account.pk and entry.detail["via"] == "scim:directory"

    assert new_user(writer, "ZHANG_SAN").json()["scimType"] == "uniqueness"  # login names are unique in any case
    weak = new_user(writer, "li_si", password="123456")
    assert weak.status_code == 400 and weak.json()["detail"].startswith("password")
    assert new_user(writer, "has space").status_code == 400
    nameless = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}
    assert send(writer, "post", "/Users", nameless).status_code == 400
    assert writer.post(f"{BASE}/Users", "{not json", content_type=CONTENT_TYPE).status_code == 400
    assert Account.objects.count() == 1


@pytestmark_db
def test_changes_go_through_the_services():
    writer = tool(token())
    account_id = new_user(writer, password="Hr@2026-strong").json()["id"]
    changed = send(writer, "patch", f"/Users/{account_id}", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False},
                       {"op": "replace", "path": "name.formatted", "value": "张三丰"}]})
    assert changed.status_code == 200
    assert changed.json()["active"] is False and changed.json()["displayName"] == "张三丰"
    account = Account.objects.get(pk=account_id)
    assert not account.is_active and account.person.name == "张三丰"
    assert AuditEntry.objects.get(event=Event.ACCOUNT_DISABLED).detail["reason"] == "scim:directory"
    assert AuditEntry.objects.filter(event=Event.PROFILE_UPDATED, account=account).exists()

    replaced = send(writer, "put", f"/Users/{account_id}", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "zhang_san", "active": True,
        "password": "New@2026-strong"})
    assert replaced.status_code == 200 and replaced.json()["active"] is True
    account.refresh_from_db()
    assert account.is_active and account.check_password("New@2026-strong")
    password_entry = AuditEntry.objects.filter(event=Event.PASSWORD_CHANGED, account=account).get()
    assert password_entry.detail["via"] == "scim:directory"
    immutable = send(writer, "put", f"/Users/{account_id}", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "other", "active": True})
    assert immutable.status_code == 400 and immutable.json()["scimType"] == "mutability"


@pytestmark_db
def test_versions_make_changes_safe():
    writer = tool(token())
    created = new_user(writer)
    account_id, version = created.json()["id"], created["ETag"]
    assert writer.get(f"{BASE}/Users/{account_id}", HTTP_IF_NONE_MATCH=version).status_code == 304
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "name.formatted", "value": "李四"}]}
    assert send(writer, "patch", f"/Users/{account_id}", patch, HTTP_IF_MATCH=version).status_code == 200
    stale = send(writer, "patch", f"/Users/{account_id}", patch, HTTP_IF_MATCH=version)
    assert stale.status_code == 412  # changed since that version was read


@pytestmark_db
def test_searches_run_in_the_database():
    writer = tool(token())
    for name in ("wang_wu", "wang_liu", "zhao_qi"):
        new_user(writer, name)
    found = writer.get(f"{BASE}/Users", {"filter": 'userName sw "WANG" and active eq true', "sortBy": "userName",
                                         "sortOrder": "descending"}).json()
    assert found["totalResults"] == 2 and [u["userName"] for u in found["Resources"]] == ["wang_wu", "wang_liu"]
    page = writer.get(f"{BASE}/Users", {"startIndex": 2, "count": 1, "attributes": "userName"}).json()
    assert page["totalResults"] == 3 and page["startIndex"] == 2 and page["itemsPerPage"] == 1
    assert set(page["Resources"][0]) <= {"schemas", "id", "userName"}
    searched = send(writer, "post", "/Users/.search", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'name.formatted co "张"'})
    assert searched.json()["totalResults"] == 3
    bad = writer.get(f"{BASE}/Users", {"filter": 'emails co "@"'})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    assert writer.get(f"{BASE}/Users", {"filter": "userName eq"}).status_code == 400
    for unsupported in ('id co "1"', 'meta.created gt "yesterday"'):
        refused = writer.get(f"{BASE}/Users", {"filter": unsupported})
        assert refused.status_code == 400 and refused.json()["scimType"] == "invalidFilter", unsupported
    recent = writer.get(f"{BASE}/Users", {"filter": 'meta.created gt "2020-01-01T00:00:00Z" and id pr'}).json()
    assert recent["totalResults"] == 3
    assert writer.get(f"{BASE}/Users", {"sortBy": "password"}).status_code == 400
    assert writer.get(f"{BASE}/Users/nobody").status_code == 404
    organisation = factories.legal_account()
    assert writer.get(f"{BASE}/Users/{organisation.pk}").status_code == 404  # an organisation is no User


@pytestmark_db
def test_only_unused_accounts_are_deleted_and_no_administrator_is_changed():
    writer = tool(token())
    fresh = new_user(writer).json()["id"]
    assert send(writer, "delete", f"/Users/{fresh}").status_code == 204
    assert not Account.objects.filter(pk=fresh).exists() and not ScimLink.objects.exists()
    assert AuditEntry.objects.get(event=Event.ACCOUNT_DELETED).login_name == "zhang_san"

    used = factories.natural_account()
    factories.sign_in(Client(), used)
    kept = send(writer, "delete", f"/Users/{used.pk}")
    assert kept.status_code == 409 and Account.objects.filter(pk=used.pk).exists()

    administrator = factories.staff()
    administrator.admin_role = AdminRole.SECURITY
    administrator.save(update_fields=["admin_role"])
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "path": "active", "value": False}]}
    assert send(writer, "patch", f"/Users/{administrator.pk}", patch).status_code == 403
    administrator.refresh_from_db()
    assert administrator.is_active


@pytestmark_db
def test_organisations_and_their_delegates_are_read():
    system = helpers.oidc_client("scim-groups", delegable=True).client.system
    organisation, person = factories.legal_account(name="示例科技有限公司"), factories.natural_account()
    delegation.create_grants(organisation=organisation, person=person, systems=[system], expires_on=None,
                             actor=organisation)
    reader = tool(token("--read-only"))
    listing = reader.get(f"{BASE}/Groups", {"filter": 'displayName eq "示例科技有限公司"'}).json()
    assert listing["totalResults"] == 1
    group = listing["Resources"][0]
    assert group["id"] == str(organisation.pk) and [m["value"] for m in group["members"]] == [str(person.pk)]
    assert reader.get(f"{BASE}/Groups/{organisation.pk}").json()["displayName"] == "示例科技有限公司"
    refused = send(tool(token(name="writer")), "post", "/Groups", {"displayName": "x"})
    assert refused.status_code == 405 and refused.json()["status"] == "405"
    types = reader.get(f"{BASE}/ResourceTypes").json()
    assert [t["id"] for t in types["Resources"]] == ["User"]  # announced: what a tool may write


@pytestmark_db
def test_a_page_of_groups_reads_its_members_at_once():
    systems = [helpers.oidc_client(f"scim-page-{n}", delegable=True).client.system for n in range(2)]
    reader = tool(token("--read-only"))

    def listing_queries():
        with CaptureQueriesContext(connection) as queries:
            listing = reader.get(f"{BASE}/Groups").json()
        return listing, len(queries)

    listing_queries()  # the token's first use is written down (then once a minute)
    for n in range(3):
        organisation, person = factories.legal_account(name=f"示例单位{n}"), factories.natural_account()
        delegation.create_grants(organisation=organisation, person=person, systems=systems, expires_on=None,
                                 actor=organisation)
        listing, queries = listing_queries()
        if n == 0:
            first = queries
    assert queries == first  # three groups cost what one did
    assert listing["totalResults"] == 3
    assert all(len(group["members"]) == 1 for group in listing["Resources"])  # granted twice, one member


PATCH = '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [%s]}'
MALFORMED = [
    ("post", "/Users", "[]"), ("post", "/Users", '{"userName": 5}'), ("post", "/Users", '{"schemas": "x"}'),
    ("post", "/Users", '{"userName": "a", "name": "x"}'), ("post", "/Users", '{"userName": "' + "x" * 300 + '"}'),
    ("post", "/Users", '{"userName": "long", "name": {"formatted": "' + "名" * 300 + '"}}'),
    ("patch", "/Users/<id>", '{"Operations": "x"}'),
    ("patch", "/Users/<id>", PATCH % '{"op": "replace", "path": "nope", "value": 1}'),
    ("patch", "/Users/<id>", PATCH % '{"op": "add", "path": "userName", "value": "z"}'),
    ("patch", "/Users/<id>", PATCH % '{"op": "replace", "value": {"active": "maybe"}}'),
    ("patch", "/Users/<id>", PATCH % '{"op": "remove", "path": "active"}'),
    ("patch", "/Users/<id>", PATCH % ('{"op": "replace", "path": "name.formatted", "value": "' + "名" * 300 + '"}')),
    ("put", "/Users/<id>", '"x"'), ("post", "/Users/.search", '{"filter": 5}'),
    ("get", "/Users?filter=userName%20eq%20%22a%22%20and", None), ("get", "/Users?count=abc", None),
    ("get", "/Users?sortOrder=sideways", None), ("get", "/Groups?filter=members%20pr", None),
    ("get", "/Users/99999999999999999999999", None), ("get", "/Groups/99999999999999999999999", None),
]


@pytestmark_db
@pytest.mark.parametrize(("method", "path", "body"), MALFORMED)
def test_malformed_requests_get_a_scim_error_not_a_500(method, path, body):
    writer = tool(token())
    person = new_user(writer, "probe").json()["id"]
    path = BASE + path.replace("<id>", person)
    answer = getattr(writer, method)(path, body, content_type=CONTENT_TYPE) if body is not None else writer.get(path)
    assert 400 <= answer.status_code < 500, answer.content
    assert answer.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert Account.objects.get(pk=person).login_name == "probe"
