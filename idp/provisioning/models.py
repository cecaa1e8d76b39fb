from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.catalogue.models import BusinessSystem
from idp.core.fields import EncryptedTextField


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


class WebhookDelivery(models.Model):
    """One event for one system, sent by core/outbox.py: retried with back-off, given up at last
    (a dead letter, shown in the console)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=32)
    url = models.CharField(max_length=500)  # the endpoint's URL when the event happened
    payload = models.TextField()  # the JSON body, exactly as signed and sent
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_event_once")]

    def __str__(self):
        return f"{self.event_type} → {self.url}"
