"""等保 2.0 三权分立 (accounts/roles.py): the system, security and audit administrators each reach
their own part only; no page gives a role; every change in 系统管理 is audited; superusers are
refused in production; a staff password must be changed after IDP_STAFF_PASSWORD_MAX_DAYS."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from idp.accounts.models import Account, AdminRole
from idp.audit.models import AuditEntry, Event
from idp.core.checks import no_superusers
from tests import factories

pytestmark = pytest.mark.django_db


def administrator(role: str) -> tuple[Account, Client]:
    account = factories.natural_account(f"admin_{role}")
    call_command("admin_role", account.login_name, role, stdout=io.StringIO())
    account.refresh_from_db()
    client = Client()
    factories.sign_in(client, account)
    return account, client


def change_account(client, account, **fields):
    data = {"email": account.email, "is_active": "on" if account.is_active else "",
            "is_staff": "on" if account.is_staff else "", "_save": "1"}
    data.update(fields)
    return client.post(f"/admin/accounts/account/{account.pk}/change/", data)


def test_the_system_administrator_manages_the_systems_not_the_accounts():
    _, system = administrator("system")
    assert system.get("/admin/").status_code == 200
    assert system.get("/admin/sso/client/").status_code == 200
    assert system.get("/admin/catalog/businesssystem/").status_code == 200
    assert system.get("/admin/accounts/account/").status_code == 403
    person = factories.natural_account()
    assert change_account(system, person, is_active="").status_code == 403
    assert Account.objects.get(pk=person.pk).is_active


def test_the_security_administrator_manages_accounts_but_never_its_own_nor_an_administrators():
    me, security = administrator("security")
    other_admin, _ = administrator("audit")
    person = factories.natural_account("ordinary")
    assert security.get("/admin/sso/client/").status_code == 403
    assert security.get("/admin/accounts/account/").status_code == 200

    assert change_account(security, person, is_active="", is_staff="on").status_code == 302
    person.refresh_from_db()
    assert not person.is_active and person.is_staff
    # A role cannot be given from the page: the field is read-only.
    assert change_account(security, person, admin_role="system", is_active="on").status_code == 302
    assert Account.objects.get(pk=person.pk).admin_role == ""

    for untouchable in (me, other_admin):
        assert change_account(security, untouchable, is_active="").status_code == 403
        assert Account.objects.get(pk=untouchable.pk).is_active
    assert Account.objects.get(pk=me.pk).admin_role == AdminRole.SECURITY


def test_every_change_in_admin_is_audited_for_the_auditor_only():
    _, security = administrator("security")
    person = factories.natural_account("watched")
    change_account(security, person, is_active="")
    action = AuditEntry.objects.get(event=Event.ADMIN_ACTION)
    assert action.actor.login_name == "admin_security" and action.detail["object"] == f"accounts.account:{person.pk}"
    assert action.detail["action"] == "change" and "Is active" in action.detail["fields"]

    _, auditor = administrator("audit")
    assert auditor.get("/admin/").status_code == 302  # the auditor reads the console, not 系统管理
    seen = auditor.get("/console/audit/").content.decode()
    assert "系统管理操作" in seen and "修改管理员角色" in seen

    reviewer = Client()
    factories.sign_in(reviewer, factories.staff("reviewer_x"))
    hidden = reviewer.get("/console/audit/").content.decode()
    assert "系统管理操作" not in hidden and "修改管理员角色" not in hidden and "停用账号" in hidden
    assert "未知的事件类型" in reviewer.get("/console/audit/", {"event": Event.ADMIN_ACTION}).content.decode()
    assert reviewer.get("/admin/").status_code == 302  # a reviewer has no 系统管理


def test_the_command_gives_one_role_ends_superuser_and_is_audited():
    account = factories.natural_account("root_like")
    account.is_superuser = True
    account.save(update_fields=["is_superuser"])
    assert [e.id for e in no_superusers(databases=["default"])] == ["idp.E019"]
    out = io.StringIO()
    call_command("admin_role", "ROOT_LIKE", "audit", stdout=out)
    account.refresh_from_db()
    assert "审计管理员" in out.getvalue()
    assert (account.admin_role, account.is_staff, account.is_superuser) == ("audit", True, False)
    assert no_superusers(databases=["default"]) == []
    call_command("admin_role", "root_like", "none", stdout=out)
    entries = AuditEntry.objects.filter(event=Event.ADMIN_ROLE_CHANGED, account=account).order_by("id")
    assert [(e.detail["was"], e.detail["role"], e.actor) for e in entries] == [("superuser", "audit", None),
                                                                              ("audit", "none", None)]


def test_the_role_command_names_an_unknown_account():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no account 'ghost'"):
        call_command("admin_role", "ghost", "system")


def test_a_staff_password_too_old_must_be_changed_first(settings):
    settings.IDP_STAFF_PASSWORD_MAX_DAYS = 90
    staff = factories.staff("old_password")
    Account.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    client = Client()
    factories.sign_in(client, staff)
    for path in ("/console/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == reverse("password-change")
    assert client.get(reverse("password-change")).status_code == 200  # their other pages still work
    new = "Nouveau#2026x"
    changed = client.post(reverse("password-change"), {"old_password": factories.PASSWORD, "password": new,
                                                       "password_confirm": new})
    assert changed.status_code == 302
    assert client.get("/console/").status_code == 200
    assert Account.objects.get(pk=staff.pk).password_changed_at > timezone.now() - timedelta(minutes=1)

    citizen = factories.natural_account()
    Account.objects.filter(pk=citizen.pk).update(password_changed_at=timezone.now() - timedelta(days=900))
    settings.IDP_STAFF_PASSWORD_MAX_DAYS = 0
    assert client.get("/console/").status_code == 200


def test_a_rehash_at_login_is_not_a_password_change():
    account = factories.natural_account("rehash")
    long_ago = timezone.now() - timedelta(days=200)
    Account.objects.filter(pk=account.pk).update(password_changed_at=long_ago,
                                                 password="pbkdf2_sha256$1000$salt$" + "x" * 43)
    account = Account.objects.get(pk=account.pk)
    account.set_password(factories.PASSWORD)  # what check_password's re-hash does
    account.save(update_fields=["password"])
    assert Account.objects.get(pk=account.pk).password_changed_at == long_ago
