from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.catalogue.models import BusinessSystem
from idp.core.fields import EncryptedTextField
from idp.core.models import OutboxMessage


class WebhookEndpoint(models.Model):
    """Where a business system is told of changes to the accounts and grants it knows (webhooks.py)."""

    system = models.OneToOneField(BusinessSystem, on_delete=models.CASCADE, related_name="webhook",
                                  verbose_name=_("业务系统"))
    url = models.URLField(_("事件通知地址"), max_length=500)
    secret = EncryptedTextField(_("签名密钥"), bind="system_id")  # HMAC-SHA256 key, shown once
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("事件通知(Webhook)")
        verbose_name_plural = _("事件通知(Webhook)")

    def __str__(self):
        return f"{self.system.code} → {self.url}"


class WebhookDelivery(OutboxMessage):
    """One event for one system, sent by core/outbox.py: retried with back-off, given up at last
    (a dead letter, shown in the console)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=32)
    payload = models.TextField()  # the JSON body, exactly as signed and sent

    class Meta(OutboxMessage.Meta):
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_event_once")]

    def __str__(self):
        return f"{self.event_type} → {self.url}"


class ScimTarget(models.Model):
    """A business system's SCIM 2.0 service, to which the platform pushes the persons who entered
    the system and the organisations they act for (scim.py)."""

    system = models.OneToOneField(BusinessSystem, on_delete=models.CASCADE, related_name="scim",
                                  verbose_name=_("业务系统"))
    url = models.URLField(_("SCIM 服务地址"), max_length=500)
    token = EncryptedTextField(_("访问令牌"), bind="system_id")
    is_active = models.BooleanField(_("启用"), default=True)
    dry_run = models.BooleanField(_("试运行(只记录,不发送)"), default=False)
    # From the target's ServiceProviderConfig (None: not asked yet): PATCH where it is supported, PUT otherwise.
    patch_supported = models.BooleanField(null=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SCIM 推送")
        verbose_name_plural = _("SCIM 推送")

    def __str__(self):
        return f"{self.system.code} → {self.url}"


class ScimResource(models.Model):
    """What a target holds for one account: the id the target gave it, and a digest of what was last
    pushed (for a group also its members' ids), so an unchanged account is not sent again."""

    USER, GROUP = "User", "Group"

    target = models.ForeignKey(ScimTarget, on_delete=models.CASCADE, related_name="resources")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=5, choices=[(USER, USER), (GROUP, GROUP)])
    remote_id = models.CharField(max_length=255)
    digest = models.CharField(max_length=64)
    members = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["target", "account"], name="scim_one_resource_per_account")]

    def __str__(self):
        return f"{self.kind} {self.remote_id}"


class ScimChange(OutboxMessage):
    """One account to bring up to date at one target, sent by core/outbox.py. A change carries no
    data: its sending pushes the account as it is then, so a late or repeated one is harmless."""

    target = models.ForeignKey(ScimTarget, on_delete=models.CASCADE, related_name="changes")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"{self.account_id} → {self.url}"
