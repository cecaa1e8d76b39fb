"""系统管理 → 事件通知: which systems are told of changes, read-only (`manage.py register_webhook`
sets them up and shows the secret once; the secret is never shown here)."""

from django.contrib import admin

from idp.provisioning.models import WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["system", "url", "is_active", "created_at"]
    fields = ["system", "url", "is_active", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
