from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    SYSTEMS_READ = "systems:read", _("读取业务系统")
    SYSTEMS_WRITE = "systems:write", _("登记、停用业务系统,重置密钥")
    ACCOUNTS_READ = "accounts:read", _("读取账号")
    ACCOUNTS_WRITE = "accounts:write", _("停用、启用账号,重置两步验证")
    REVIEWS_READ = "reviews:read", _("读取审核队列")
    AUDIT_READ = "audit:read", _("检索审计日志")
    SCIM_READ = "scim:read", _("SCIM:读取用户与单位")
    SCIM_WRITE = "scim:write", _("SCIM:创建、修改用户")


class ApiToken(models.Model):
    """A bearer token of the operator API (tokens.py): shown once; kept as a keyed digest."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    key_id = models.CharField(max_length=16, unique=True)  # the token's public part, to find the row
    digest = models.CharField(max_length=128)
    scopes = models.JSONField(_("权限范围"), default=list)
    expires_at = models.DateTimeField(_("有效期至"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("运维接口令牌")
        verbose_name_plural = _("运维接口令牌")

    def __str__(self):
        return self.name


class ScimLink(models.Model):
    """What a SCIM client keeps of an account that the platform has no column for: its externalId,
    and whether the account was made through SCIM."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_link")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_through_scim = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.account_id}: {self.external_id}"
