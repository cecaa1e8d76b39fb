"""Upstream identity providers (the national platform, the electronic business licence service):
the platform is their OpenID Connect relying party. An upstream is data — registered by
`register_identity_provider` or in 系统管理 — and each person it vouches for is linked to one
account here (FederatedIdentity) by the rules of linking.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.core.fields import EncryptedTextField


class IdentityProvider(models.Model):
    class Kinds(models.TextChoices):
        NATURAL = "natural", _("自然人")
        LEGAL = "legal", _("法人")
        BOTH = "both", _("自然人和法人")

    code = models.SlugField(_("代码"), max_length=40, unique=True,
                            help_text=_("回调地址为 <IDP_ISSUER>/federation/<代码>/callback"))
    name = models.CharField(_("名称"), max_length=60, help_text=_("登录页按钮:使用<名称>登录"))
    protocol = models.CharField(_("协议"), max_length=8, default="oidc", choices=[("oidc", "OpenID Connect")])
    issuer = models.URLField(_("Issuer"), max_length=300,
                             help_text=_("其 /.well-known/openid-configuration 提供端点与密钥"))
    client_id = models.CharField(_("client_id"), max_length=200)
    client_secret = EncryptedTextField(_("client_secret"), bind="code")
    scopes = models.CharField(_("scope"), max_length=300, default="openid profile")
    kinds = models.CharField(_("适用用户类型"), max_length=8, choices=Kinds.choices, default=Kinds.BOTH)
    # Which claims carry what; an empty name: the upstream does not say it.
    name_claim = models.CharField(_("姓名/单位名称声明"), max_length=60, default="name", blank=True)
    id_number_claim = models.CharField(_("证件号码声明"), max_length=60, blank=True)
    id_type_claim = models.CharField(_("证件类型声明"), max_length=60, blank=True,
                                     help_text=_("其值为本平台的证件类型代码;不填则按默认证件类型"))
    default_id_type = models.CharField(_("默认证件类型"), max_length=32, default="resident_id")
    uscc_claim = models.CharField(_("统一社会信用代码声明"), max_length=60, blank=True)
    verified_claim = models.CharField(
        _("已核验声明"), max_length=60, blank=True,
        help_text=_("填写时,仅当该声明为 true 时证件号码或统一社会信用代码才视为已核验"))
    phone_claim = models.CharField(_("手机号码声明"), max_length=60, default="phone_number", blank=True)
    trusted = models.BooleanField(
        _("信任其实名核验"), default=False,
        help_text=_("信任时,其核验过的证件号码可直接关联本平台已实名的账号,并视为实名认证通过"))
    order = models.PositiveSmallIntegerField(_("显示顺序"), default=0)
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("外部身份提供方")
        verbose_name_plural = _("外部身份提供方")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name

    def serves(self, kind: str) -> bool:
        return self.kinds in (kind, self.Kinds.BOTH)

    @property
    def redirect_uri(self) -> str:
        return f"{settings.IDP_ISSUER}/federation/{self.code}/callback"

    @property
    def backchannel_logout_uri(self) -> str:
        return f"{settings.IDP_ISSUER}/federation/{self.code}/backchannel-logout"


class FederatedIdentity(models.Model):
    """One upstream's person (`subject`: its `sub`) linked to one account here; an account has
    at most one identity per upstream."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="identities")
    subject = models.CharField(max_length=255)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="federated")
    how = models.CharField(max_length=16)  # linking.LINKED_BY_*: how the link was made
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("外部身份关联")
        verbose_name_plural = _("外部身份关联")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="federated_identity_once"),
            models.UniqueConstraint(fields=["provider", "account"], name="federated_account_once"),
        ]

    def __str__(self):
        return f"{self.provider.code}:{self.subject}"


class UpstreamSession(models.Model):
    """An SSO session here begun by an upstream's login: its `sid` lets the upstream's
    back-channel logout end ours; its ID token is the hint of our logout at the upstream."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="sessions")
    sso_session = models.OneToOneField("sso.SsoSession", on_delete=models.CASCADE, related_name="upstream")
    subject = models.CharField(max_length=255)
    sid = models.CharField(max_length=255, blank=True)
    id_token = EncryptedTextField(bind="sso_session_id")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["provider", "sid"]), models.Index(fields=["provider", "subject"])]

    def __str__(self):
        return f"{self.provider_id}:{self.sid or self.subject}"
