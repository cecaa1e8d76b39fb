"""The 安全管理员's view of accounts in 系统管理 (accounts/roles.py): enable, disable, and the review
console's right, for accounts without an administrator role and never one's own. Identity numbers
are not shown here; the review console shows them to reviewers beside the submitted documents.
Django's groups and per-user permissions are not offered: rights come from roles alone."""

from django.contrib import admin
from django.contrib.auth.models import Group

from idp.accounts import roles, services
from idp.accounts.models import Account
from idp.core.http import client_ip

if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["login_name", "kind", "display_name", "masked_phone", "realname_status",
                    "is_active", "is_staff", "date_joined"]
    search_fields = ["login_name"]
    ordering = ["-date_joined"]
    list_filter = ["kind", "realname_status", "is_active", "is_staff", "admin_role"]
    fields = ["login_name", "kind", "masked_phone", "email", "realname_status", "is_active",
              "is_staff", "admin_role", "date_joined", "last_login"]
    readonly_fields = ["login_name", "kind", "masked_phone", "realname_status", "admin_role", "date_joined",
                       "last_login"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or roles.may_manage_account(request.user, obj))

    def save_model(self, request, obj, form, change):
        """Enabling, disabling and the console's rights go through the accounts' services: in the
        audit log, and a disabled account is signed out of everything at once."""
        before = Account.objects.get(pk=obj.pk)
        active, staff = obj.is_active, obj.is_staff
        obj.is_active, obj.is_staff = before.is_active, before.is_staff
        super().save_model(request, obj, form, change)
        services.set_active(account=obj, active=active, actor=request.user, ip=client_ip(request))
        services.set_staff(account=obj, staff=staff, superuser=obj.is_superuser, actor=request.user,
                           ip=client_ip(request))

    def has_add_permission(self, request):
        return False  # accounts are created by registration, the demo loader or the migration

    def has_delete_permission(self, request, obj=None):
        return False
