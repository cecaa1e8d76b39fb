"""The operator API (/api/admin/v1/, api/views.py) as an operator's tool uses it: tokens from the
command, each scope limiting what a token may read or change, writes through the platform's services
and in the audit log, bad input a 4xx naming what is wrong, the OpenAPI document generated and kept."""

import io
import json
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openapi_spec_validator import validate

from idp.accounts import mfa, services
from idp.accounts.models import AdminRole, Passkey
from idp.api import tokens
from idp.api.models import ApiToken
from idp.audit.models import AuditEntry, Event
from idp.catalogue.models import BusinessSystem
from idp.realname.models import Submission
from idp.sso import clients
from idp.sso.models import Client as SsoClient
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db
BASE = "/api/admin/v1"
SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def token(*scopes, name=None) -> str:
    out = io.StringIO()
    call_command("create_api_token", "--name", name or "-".join(scopes), "--scope", *scopes, stdout=out)
    return out.getvalue().split("not shown again): ")[1].strip()


def caller(value) -> Client:
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {value}")  # a tool has no CSRF cookie


def post(client, path, body):
    return client.post(BASE + path, json.dumps(body), content_type="application/json")


def put(client, path, body):
    return client.put(BASE + path, json.dumps(body), content_type="application/json")


def test_no_call_without_a_whole_unexpired_token():
    good = token("systems:read")
    assert Client().get(f"{BASE}/systems").status_code == 401
    assert caller("idpa_0000000000000000_nothing").get(f"{BASE}/systems").status_code == 401
    assert caller(good[:-1] + ("A" if good[-1] != "A" else "B")).get(f"{BASE}/systems").status_code == 401
    assert caller(good).get(f"{BASE}/systems").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert caller(good).get(f"{BASE}/systems").status_code == 401


def test_a_revoked_token_stops_and_the_command_refuses_bad_input():
    good = token("audit:read", name="siem")
    call_command("create_api_token", "--name", "siem", "--revoke", stdout=io.StringIO())
    assert caller(good).get(f"{BASE}/audit").status_code == 401
    for args, message in ((["--name", "x", "--scope", "root"], "scopes must be among"),
                          (["--name", "x"], "scopes must be among"),
                          (["--name", "x", "--scope", "audit:read", "--days", "0"], "days"),
                          (["--name", "siem", "--scope", "audit:read"], "exists already"),
                          (["--name", "nobody", "--revoke"], "no active token")):
        with pytest.raises(CommandError, match=message):
            call_command("create_api_token", *args, stdout=io.StringIO())
    events = set(AuditEntry.objects.values_list("event", flat=True))
    assert {Event.API_TOKEN_CREATED, Event.API_TOKEN_REVOKED} <= events
    assert good not in json.dumps(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_a_read_only_token_reads_and_changes_nothing():
    helpers.oidc_client("api-ro")
    reader = caller(token("systems:read"))
    listing = reader.get(f"{BASE}/systems").json()
    assert listing["count"] == 1 and listing["items"][0]["code"] == "api-ro"
    assert reader.get(f"{BASE}/systems/api-ro").json()["protocol"] == "oidc"
    assert reader.get(f"{BASE}/systems/none").status_code == 404
    refused = post(reader, "/systems/api-ro/secret", {})
    assert refused.status_code == 403 and "systems:write" in refused.json()["detail"]
    assert put(reader, "/systems/api-ro/active", {"is_active": False}).status_code == 403
    assert reader.get(f"{BASE}/accounts").status_code == 403  # another scope
    assert BusinessSystem.objects.get().is_active


def test_registering_a_system_takes_every_option_and_checks_them():
    writer = caller(token("systems:write", "systems:read"))
    made = post(writer, "/systems", {"name": "统计直报", "protocol": "oidc", "code": "tjzb",
                                     "redirect_uris": ["https://tjzb.example.cn/cb"], "kinds": ["legal"],
                                     "requires_realname": False, "delegable": True, "signing_alg": "SM2"})
    assert made.status_code == 201, made.content
    body = made.json()
    client = SsoClient.objects.get(client_id="tjzb")
    assert body["client_id"] == "tjzb" and clients.secret_matches(client, body["client_secret"])
    assert client.id_token_alg == "SM2" and client.redirect_uris == "https://tjzb.example.cn/cb"
    system = client.system
    assert (system.allow_natural, system.allow_legal, system.requires_realname, system.delegable) == (
        False, True, False, True)
    entry = AuditEntry.objects.filter(event=Event.ADMIN_ACTION).get()
    assert entry.detail["via"] == "api:systems:write-systems:read" and entry.detail["system"] == "tjzb"

    for bad, field in (({"name": "x", "protocol": "oidc", "redirect_uris": ["not a uri"]}, None),
                       ({"name": "y", "protocol": "oidc", "kinds": ["robots"]}, "kinds"),
                       ({"name": "z", "protocol": "oidc", "signing_alg": "SM2", "id_token_alg": "ES256"},
                        "signing_alg"),
                       ({"name": "w", "protocol": "oidc", "scim_url": "https://w.example.cn/scim"}, "scim_url")):
        refused = post(writer, "/systems", bad)
        assert refused.status_code == 400 and refused.json()["detail"] and refused.json()["field"] == field
    assert post(writer, "/systems", {"name": "v", "protocol": "ldap"}).status_code == 422
    malformed = writer.post(f"{BASE}/systems", "{not json", content_type="application/json")
    assert 400 <= malformed.status_code < 500
    assert BusinessSystem.objects.count() == 1


def test_rotating_a_secret_and_disabling_a_system():
    registration = helpers.oidc_client("api-rot")
    writer = caller(token("systems:write"))
    answer = post(writer, "/systems/api-rot/secret", {})
    client = SsoClient.objects.get(client_id="api-rot")
    assert answer.status_code == 200 and clients.secret_matches(client, answer.json()["client_secret"])
    assert not clients.secret_matches(client, registration.secret)  # the old one stops at once
    assert put(writer, "/systems/api-rot/active", {"is_active": False}).json()["is_active"] is False
    assert not BusinessSystem.objects.get(code="api-rot").is_active
    assert put(writer, "/systems/api-rot/active", {"is_active": "maybe"}).status_code == 422
    helpers.oidc_client("api-pub", public=True)
    assert post(writer, "/systems/api-pub/secret", {}).status_code == 400


def test_accounts_read_masked_and_changed_as_the_security_administrator_may():
    person = factories.natural_account(name="赵六", mobile="13912345678")
    reader, writer = caller(token("accounts:read")), caller(token("accounts:write", "accounts:read", name="sec"))
    found = reader.get(f"{BASE}/accounts", {"login_name": person.login_name.upper()}).json()
    assert found["count"] == 1
    shown = found["items"][0]
    assert shown["name"] == "赵六" and shown["phone"] == "13*****678"
    assert "13912345678" not in json.dumps(reader.get(f"{BASE}/accounts/{person.pk}").json())
    assert reader.get(f"{BASE}/accounts", {"kind": "robot"}).status_code == 422
    assert put(reader, f"/accounts/{person.pk}/active", {"is_active": False}).status_code == 403

    assert put(writer, f"/accounts/{person.pk}/active", {"is_active": False}).json()["is_active"] is False
    person.refresh_from_db()
    assert not person.is_active
    entry = AuditEntry.objects.get(event=Event.ACCOUNT_DISABLED)
    assert entry.account_id == person.pk and entry.detail["reason"] == "api:sec"

    secret = mfa.new_secret()
    mfa.enrol(person, secret, pyotp.TOTP(secret).now())
    assert writer.get(f"{BASE}/accounts/{person.pk}").json()["second_factor"] is True
    assert writer.delete(f"{BASE}/accounts/{person.pk}/second-factor").json()["second_factor"] is False
    assert not mfa.enrolled(person)
    assert AuditEntry.objects.get(event=Event.MFA_REMOVED).detail["via"] == "api:sec"

    administrator = factories.staff()
    administrator.admin_role = AdminRole.AUDIT
    administrator.save(update_fields=["admin_role"])
    refused = put(writer, f"/accounts/{administrator.pk}/active", {"is_active": False})
    assert refused.status_code == 403 and "admin_role" in refused.json()["detail"]
    assert writer.delete(f"{BASE}/accounts/{administrator.pk}/second-factor").status_code == 403
    assert writer.get(f"{BASE}/accounts/999999").status_code == 404



def test_a_page_of_accounts_is_read_in_one_go():
    reader = caller(token("accounts:read"))
    reader.get(f"{BASE}/accounts")  # the token's first use is written down (then once a minute)

    def page():
        with CaptureQueriesContext(connection) as queries:
            items = reader.get(f"{BASE}/accounts", {"kind": "natural"}).json()["items"]
        return items, len(queries)

    first = factories.natural_account()
    _, one = page()
    for n in range(3):
        person = factories.natural_account()
        Passkey.objects.create(account=person, name=f"键{n}", credential_id=bytes([n]) * 16, public_key=b"k")
        secret = mfa.new_secret()
        mfa.enrol(person, secret, pyotp.TOTP(secret).now())
    items, four = page()
    assert four == one  # the second factor and the passkeys counted with the accounts, not per account
    shown = {item["id"]: item for item in items}
    assert (shown[first.pk]["second_factor"], shown[first.pk]["passkeys"]) == (False, 0)
    assert [(i["second_factor"], i["passkeys"]) for i in items if i["id"] != first.pk] == [(True, 1)] * 3

def test_the_review_queues_and_the_audit_log_read_only():
    person = factories.natural_account()
    Submission.objects.create(account=person)
    reviews = caller(token("reviews:read")).get(f"{BASE}/reviews").json()
    assert reviews["count"] == 1 and reviews["items"][0]["account_id"] == person.pk

    auditor = caller(token("audit:read"))
    services.set_active(account=person, active=False, actor=None)
    found = auditor.get(f"{BASE}/audit", {"account": person.login_name, "event": "account.disabled"}).json()
    assert found["count"] == 1 and found["items"][0]["account"] == person.login_name
    assert auditor.get(f"{BASE}/audit", {"event": "nonsense"}).status_code == 400
    assert auditor.get(f"{BASE}/audit", {"since": "yesterday"}).status_code == 422
    paged = auditor.get(f"{BASE}/audit", {"limit": 1, "offset": 0}).json()
    assert len(paged["items"]) == 1 and paged["count"] >= 2
    assert auditor.delete(f"{BASE}/audit").status_code == 405  # no call removes an entry


def test_a_token_is_limited_in_calls_a_minute(monkeypatch):
    monkeypatch.setattr(tokens, "RATE", 3)
    busy = caller(token("systems:read"))
    answers = [busy.get(f"{BASE}/systems").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]


def test_the_openapi_document_is_generated_valid_and_kept_in_docs():
    document = Client().get(f"{BASE}/openapi.json").json()
    validate(document)
    assert document["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}
    kept = json.loads(SCHEMA.read_text())
    assert document == kept, "the API changed: write docs/openapi.json again (python manage.py export_openapi)"


MALFORMED = [
    ("get", "/accounts?offset=99999999999999999999", None), ("get", "/accounts?limit=0", None),
    ("get", "/accounts/99999999999999999999999", None), ("get", "/audit?since=2026-13-01", None),
    ("put", "/accounts/99999999999999999999999/active", {"is_active": False}),
    ("delete", "/accounts/99999999999999999999999/second-factor", None),
    ("post", "/systems", {"name": "x" * 500, "protocol": "oidc"}),
    ("post", "/systems", {"name": "a", "protocol": "oidc", "code": "Bad Code!"}),
    ("post", "/systems", {"name": "a", "protocol": "oidc", "entrance_url": "https://" + "h" * 500}),
    ("post", "/systems", {"name": "a", "protocol": "oidc", "entrance_url": "not a url"}),
    ("post", "/systems", {"name": "a", "protocol": "oidc", "backchannel_logout_uri": "https://x.cn/" + "r" * 3000}),
    ("post", "/systems", {"name": "a", "protocol": "cas", "service": "https://x.cn/" + "r" * 3000}),
    ("post", "/systems", {"name": "a", "protocol": "cas", "service": "^(unclosed$"}),
    ("post", "/systems", {"name": "a", "protocol": "saml", "metadata": "<not xml"}),
    ("post", "/systems", {"name": "a", "protocol": "oidc", "redirect_uris": "https://one.cn/cb"}),
]


@pytest.mark.django_db(transaction=True)  # a database error would not hide behind the test's transaction
@pytest.mark.parametrize(("method", "path", "body"), MALFORMED)
def test_malformed_requests_get_a_4xx_and_change_nothing(method, path, body):
    client = caller(token("systems:write", "accounts:read", "accounts:write", "audit:read"))
    answer = (getattr(client, method)(BASE + path, json.dumps(body), content_type="application/json")
              if body is not None else getattr(client, method)(BASE + path))
    assert 400 <= answer.status_code < 500, answer.content[:300]
    assert answer.json()["detail"]
    assert not BusinessSystem.objects.exists()
