"""系统管理 → 事件通知, SCIM 推送: which systems are told of changes, read-only (`manage.py
register_webhook` and `register_business_system --scim-url` set them up; secrets and tokens are
never shown here)."""

from django.contrib import admin

from idp.provisioning.models import ScimTarget, WebhookEndpoint


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnly):
    list_display = ["system", "url", "is_active", "created_at"]
    fields = ["system", "url", "is_active", "created_at"]
    readonly_fields = fields


@admin.register(ScimTarget)
class ScimTargetAdmin(ReadOnly):
    list_display = ["system", "url", "is_active", "dry_run", "patch_supported", "reconciled_at"]
    fields = ["system", "url", "is_active", "dry_run", "patch_supported", "reconciled_at", "created_at"]
    readonly_fields = fields
