from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from idp.catalogue.models import BusinessSystem


class GrantStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤销")
    DECLINED = "declined", _("已拒绝")


class GrantSource(models.TextChoices):
    MANUAL = "manual", _("单位授权")
    MIGRATION = "migration", _("火炬中心用户转移")


class Grant(models.Model):
    """代办授权: an organisation lets a natural person act for it in one business system.

    A grant is in force while active and not past `expires_on` (inclusive).
    """

    organisation = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="grants_given")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="grants_received")
    system = models.ForeignKey(BusinessSystem, on_delete=models.CASCADE, related_name="grants")
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=GrantStatus.choices, default=GrantStatus.ACTIVE)
    source = models.CharField(max_length=10, choices=GrantSource.choices, default=GrantSource.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "person", "system"],
                                    condition=Q(status="active"), name="one_active_grant"),
        ]
        indexes = [models.Index(fields=["person", "system", "status"])]

    def __str__(self):
        return f"{self.organisation_id} → {self.person_id} @ {self.system_id} ({self.status})"
