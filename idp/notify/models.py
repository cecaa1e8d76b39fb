from django.db import models


class OneTimeCode(models.Model):
    """A verification code sent by SMS (to a phone) or by e-mail (to an address), bound to
    that destination and one purpose (SPEC 2). Only a keyed digest of the code is kept;
    `used_at` set means spent."""

    phone = models.CharField("phone or e-mail address", max_length=254)
    purpose = models.CharField(max_length=32)
    code_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    requested_ip = models.CharField(max_length=45, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "purpose", "-created_at"]),
            models.Index(fields=["requested_ip", "created_at"]),
            models.Index(fields=["created_at"], name="code_created"),  # the purge of old codes (tasks.py)
        ]

    def __str__(self):
        return f"{self.purpose} code for {self.phone[:3]}…"
