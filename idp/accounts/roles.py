"""The three separated administrator roles of 等保 2.0 (GB/T 22239-2019 8.1.4.2 d, "三权分立") and
the staff password age (8.1.4.1 a).

- 系统管理员 (system): 系统管理 — business systems, SAML providers, upstream identity providers, the
  portal's content, the job queue: everything but accounts and their rights.
- 安全管理员 (security): the accounts in 系统管理 — enable, disable, give or take the review
  console (is_staff) — of accounts that hold no administrator role, never its own.
- 审计管理员 (audit): the whole audit log in the console, the administrators' own actions included
  (ADMINISTRATION events, which nobody else sees there); it changes nothing.

No page gives a role: `manage.py admin_role` does, on a node's shell, in the audit log — so none of
the three can give itself or another the others' rights. An account holds at most one role; a
superuser (every right at once) is refused under production settings (core/checks.py). Reviewers
are staff without a role: the console's queues and the audit log of the people's events.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from idp.accounts.models import Account, AdminRole
from idp.audit.log import record
from idp.audit.models import ADMINISTRATION, Event

NOT_SYSTEMS = ("accounts", "auth", "audit", "admin", "sessions", "contenttypes")  # apps the system role never manages
SECURITY_PERMISSIONS = frozenset({"accounts.view_account", "accounts.change_account"})


def role_permissions(account) -> frozenset:
    """The 系统管理 permissions ("app.codename") an account has by its role."""
    if not account.is_active or not account.is_staff:
        return frozenset()
    if account.admin_role == AdminRole.SECURITY:
        return SECURITY_PERMISSIONS
    if account.admin_role == AdminRole.SYSTEM:
        cached = getattr(account, "_system_permissions", None)
        if cached is None:
            rows = Permission.objects.exclude(content_type__app_label__in=NOT_SYSTEMS).values_list(
                "content_type__app_label", "codename")
            cached = account._system_permissions = frozenset(f"{app}.{codename}" for app, codename in rows)
        return cached
    return frozenset()


def may_manage_account(actor, account) -> bool:
    """Whether `actor` may enable, disable or change the console right of `account` in 系统管理."""
    if actor.is_superuser:
        return True
    return (actor.admin_role == AdminRole.SECURITY and account.pk != actor.pk and not account.admin_role
            and not account.is_superuser)


def sees_administration(user) -> bool:
    """Whether the console's audit log shows this user the administrators' own actions."""
    return user.is_superuser or user.admin_role == AdminRole.AUDIT


def visible_events(user) -> set[str] | None:
    """The events this user may read in the console's audit log (None: all)."""
    return None if sees_administration(user) else set(Event.values) - ADMINISTRATION


def set_admin_role(*, account: Account, role: str, via: str = "command") -> None:
    """Give `role` (or "" to take it away). A role makes the account staff (the second factor, the
    staff idle limit and password age then apply) and ends any superuser right: one role at a time."""
    if role and role not in AdminRole.values:
        raise ValueError(f"unknown role {role!r}")
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        before = (account.admin_role, account.is_superuser)
        account.admin_role = role
        account.is_staff = account.is_staff or bool(role)
        account.is_superuser = False
        account.save(update_fields=["admin_role", "is_staff", "is_superuser"])
        record(Event.ADMIN_ROLE_CHANGED, account=account, actor=None, via=via, role=role or "none",
               was=before[0] or ("superuser" if before[1] else "none"))


# --- staff password age ---------------------------------------------------------------------------

STAFF_PATHS = ("/console/", "/admin/")


def password_too_old(account) -> bool:
    """A staff password past its age (an account without a password — passkeys only — has none to change)."""
    days = settings.IDP_STAFF_PASSWORD_MAX_DAYS
    return (bool(days) and account.is_staff and account.has_usable_password()
            and account.password_changed_at < timezone.now() - timedelta(days=days))


class StaffPasswordAgeMiddleware:
    """A staff account whose password is older than IDP_STAFF_PASSWORD_MAX_DAYS opens no console or
    系统管理 page until it has chosen a new one (its other pages still work)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(STAFF_PATHS) and request.user.is_authenticated and password_too_old(request.user):
            messages.warning(request, _("您的密码已超过 %(days)s 天未修改,请先修改密码再进入审核控制台或系统管理")
                             % {"days": settings.IDP_STAFF_PASSWORD_MAX_DAYS})
            return redirect("password-change")
        return self.get_response(request)
