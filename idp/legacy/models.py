from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KINDS = [("enterprise", _("企业账号")), ("person", _("个人账号"))]
CASES = [("R1", "R1"), ("R2", "R2"), ("R3", "R3"), ("R4", "R4")]


class ImportRun(models.Model):
    """One run of import_legacy: its files, totals per case and its errors."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    enterprises_file = models.CharField(max_length=500, blank=True)
    persons_file = models.CharField(max_length=500, blank=True)
    totals = models.JSONField(default=dict)  # {"enterprise": {"R1": n, …}, "person": {…}}
    error_count = models.PositiveIntegerField(default=0)
    rows_seen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("用户转移批次")
        verbose_name_plural = _("用户转移批次")

    def __str__(self):
        return f"run {self.pk} at {self.started_at:%Y-%m-%d %H:%M}"


class LegacyAccount(models.Model):
    """A legacy account, recorded once (keyed by kind + legacy_id) with what the migration
    decided: its case, the platform account it maps to, and how to log in."""

    kind = models.CharField(max_length=10, choices=KINDS)
    legacy_id = models.CharField(max_length=64)
    key = models.CharField(_("统一社会信用代码 / 手机号"), max_length=18)
    case = models.CharField(max_length=2, choices=CASES)
    login_name = models.CharField(max_length=64, null=True, blank=True)
    account_type = models.CharField(max_length=8, null=True, blank=True)  # legal / natural
    password = models.CharField(max_length=10)  # unchanged / own / appeal
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    note = models.CharField(max_length=255, blank=True)
    run = models.ForeignKey(ImportRun, null=True, on_delete=models.SET_NULL, related_name="accounts")
    line = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "legacy_id"], name="legacy_account_once"),
            models.UniqueConstraint(fields=["kind", "key"], name="legacy_key_once"),
        ]
        verbose_name = _("转移账号")
        verbose_name_plural = _("转移账号")

    def __str__(self):
        return f"{self.kind} {self.legacy_id} → {self.case}"


class ImportFailure(models.Model):
    """A row a run could not import, with the reason (never the password hash)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="errors")
    kind = models.CharField(max_length=10, choices=KINDS)
    legacy_id = models.CharField(max_length=64, blank=True)
    key = models.CharField(max_length=32, blank=True)  # USCC or mobile, when the row had a valid one
    line = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=255)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "key"])]

    def __str__(self):
        return f"{self.kind} {self.legacy_id}: {self.error}"
