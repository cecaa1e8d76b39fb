"""Operators' view of accounts in Django admin. Identity numbers are not shown here; the
review console (real-name issue) shows them to reviewers beside the submitted documents."""

from django.contrib import admin

from idp.accounts import services
from idp.accounts.models import Account
from idp.core.http import client_ip


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["login_name", "kind", "display_name", "masked_phone", "realname_status",
                    "is_active", "is_staff", "date_joined"]
    list_filter = ["kind", "realname_status", "is_active", "is_staff"]
    search_fields = ["login_name"]
    ordering = ["-date_joined"]
    fields = ["login_name", "kind", "masked_phone", "email", "realname_status", "is_active",
              "is_staff", "groups", "date_joined", "last_login"]
    readonly_fields = ["login_name", "kind", "masked_phone", "realname_status", "date_joined",
                       "last_login"]

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
