from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.accounts.models import AccountKind


class Protocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    CAS = "cas", "CAS 3.0"
    SAML = "saml", "SAML 2.0"


class BusinessSystem(models.Model):
    """业务系统: a relying party that signs users on through the platform (SPEC 6)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    code = models.SlugField(_("代码"), max_length=40, unique=True)
    protocol = models.CharField(_("接入协议"), max_length=8, choices=Protocol.choices, default=Protocol.OIDC)
    requires_realname = models.BooleanField(_("需要实名认证"), default=True)
    allow_natural = models.BooleanField(_("自然人可进入"), default=True)
    allow_legal = models.BooleanField(_("法人可进入"), default=True)
    delegable = models.BooleanField(_("法人可授权自然人代办"), default=False)
    entrance_url = models.URLField(_("系统地址"), blank=True)
    description = models.TextField(_("简介"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("业务系统")
        verbose_name_plural = _("业务系统")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def admits(self, kind: str) -> bool:
        return self.allow_natural if kind == AccountKind.NATURAL else self.allow_legal


class ServiceItem(models.Model):
    """服务事项: an entry of the catalogue, for one user kind, leading into a business system."""

    system = models.ForeignKey(BusinessSystem, on_delete=models.CASCADE, related_name="items",
                               verbose_name=_("业务系统"))
    name = models.CharField(_("事项名称"), max_length=200)
    user_kind = models.CharField(_("服务对象"), max_length=8, choices=[
        (AccountKind.NATURAL, _("自然人")), (AccountKind.LEGAL, _("法人单位"))])
    description = models.TextField(_("事项说明"), blank=True)
    entrance_path = models.CharField(_("办理入口路径"), max_length=200, blank=True,
                                     help_text=_("业务系统内的入口路径,例如 /apply/new"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["system", "name", "user_kind"],
                                               name="service_item_unique_per_system")]

    def __str__(self):
        return self.name


class Follow(models.Model):
    """我的关注."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "item"], name="follow_once")]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.account_id} follows {self.item_id}"


class SystemVisit(models.Model):
    """我的事项: the business systems an account entered, with the last time and identity used."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visits")
    system = models.ForeignKey(BusinessSystem, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(ServiceItem, null=True, on_delete=models.SET_NULL, related_name="+")
    acting_for = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    last_entered_at = models.DateTimeField()
    times = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "system"], name="one_visit_row_per_system")]
        ordering = ["-last_entered_at"]

    def __str__(self):
        return f"{self.account_id} → {self.system_id}"
