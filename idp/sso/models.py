"""What single sign-on keeps in the database: relying-party registrations, signing keys, the
SSO sessions with the business systems that took part in them (for single logout), and the
queue of logout notifications. Short-lived codes and tickets live in `store` instead."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.catalogue.models import BusinessSystem
from idp.core.fields import EncryptedTextField
from idp.core.models import OutboxMessage


class IdTokenAlg(models.TextChoices):
    RS256 = "RS256", "RS256"
    ES256 = "ES256", "ES256"
    SM2 = "SM2", "SM2"  # 国密: SM2 with SM3 (core/gm.py); that system's access and logout tokens too


class Client(models.Model):
    """The protocol side of a business system: OIDC client or CAS service."""

    system = models.OneToOneField(BusinessSystem, on_delete=models.CASCADE, related_name="client",
                                  verbose_name=_("业务系统"))
    client_id = models.CharField("client_id", max_length=64, unique=True)
    # HMAC-SHA256 of the secret under a key derived from IDP_DATA_KEY: a secret has 256 bits
    # of entropy, so a keyed hash is as safe as a slow password hash and costs microseconds.
    secret_digest = models.CharField(_("client_secret 摘要"), max_length=64, blank=True,
                                     help_text=_("为空表示公开客户端(必须使用 PKCE)"))
    redirect_uris = models.TextField(_("回调地址 redirect_uri"), blank=True, help_text=_("每行一个,完全匹配"))
    post_logout_redirect_uris = models.TextField(_("退出后回调地址"), blank=True, help_text=_("每行一个,完全匹配"))
    backchannel_logout_uri = models.URLField(_("后端通道退出地址 backchannel_logout_uri"), blank=True)
    id_token_alg = models.CharField(_("ID Token 签名算法"), max_length=8, choices=IdTokenAlg.choices,
                                    default=IdTokenAlg.RS256)
    service_pattern = models.CharField(
        _("CAS 服务地址"), max_length=500, blank=True,
        help_text=_("完全匹配的服务地址;以 ^ 开头则为管理员编写的锚定正则表达式(须以 $ 结尾)"))
    first_party = models.BooleanField(_("平台自有系统(免授权确认)"), default=True)
    # CAS proxy policy: the services this one may obtain proxy tickets for (their client_ids,
    # one per line). Empty: it may not proxy at all (no proxy-granting ticket is issued).
    proxy_targets = models.TextField(_("可代理的目标服务"), blank=True,
                                     help_text=_("CAS:允许本服务代理访问的业务系统 client_id,"
                                                 "每行一个;为空则不允许代理"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("接入配置")
        verbose_name_plural = _("接入配置")

    def __str__(self):
        return f"{self.system.name} ({self.client_id})"

    @property
    def is_public(self) -> bool:
        return not self.secret_digest

    def redirect_uri_list(self) -> list[str]:
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]

    def may_proxy_to(self, target: "Client") -> bool:
        return target.client_id in {line.strip() for line in self.proxy_targets.splitlines()}

    def post_logout_uri_list(self) -> list[str]:
        return [line.strip() for line in self.post_logout_redirect_uris.splitlines() if line.strip()]


class SigningKey(models.Model):
    """A key that signs ID tokens, access tokens and logout tokens.

    A new key is published in the JWKS from `created_at` but signs only from `active_from`
    (clients fetch the new JWKS first); a key stops signing at `retired_at` and leaves the
    JWKS at `expires_at`, when the last token it signed has expired.
    """

    kid = models.CharField(max_length=64, unique=True)
    alg = models.CharField(max_length=8, choices=IdTokenAlg.choices)
    private_jwk = EncryptedTextField(bind="kid")
    created_at = models.DateTimeField(auto_now_add=True)
    active_from = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-active_from"]

    def __str__(self):
        return f"{self.alg} {self.kid}"


class SsoSession(models.Model):
    """The platform login as seen by business systems: its `sid` goes into ID tokens and
    logout tokens; ending it notifies every participant."""

    sid = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_sessions")
    auth_time = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)
    # The browser it was started in, for 登录设备; and the platform session that carries it, which
    # ends with it (Django's session key, renewed with each login in that browser).
    session_key = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)  # its last login or business system entered

    class Meta:
        indexes = [models.Index(fields=["account", "ended_at"])]

    def __str__(self):
        return self.sid


class Participant(models.Model):
    """A business system that received a code or a ticket in an SSO session."""

    session = models.ForeignKey(SsoSession, on_delete=models.CASCADE, related_name="participants")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    # CAS: the service URL and the service ticket (the SAML SessionIndex); empty for OIDC.
    service = models.CharField(max_length=500, blank=True)
    ticket = models.CharField(max_length=100, blank=True)
    # OIDC: the `sub` the system was given in this session — the organisation's when the person
    # acted for one. The logout token names the same subject (Back-Channel Logout §2.4).
    subject = models.CharField(max_length=64, blank=True)
    # The organisation the person acted for, if any: revoking that grant logs this system out.
    acting_for = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "client", "service", "ticket", "subject"],
                                               name="participant_once")]

    def __str__(self):
        return f"{self.client_id} in {self.session_id}"


class LogoutDelivery(OutboxMessage):
    """One single-logout notification to send, retried with back-off by the worker."""

    class Kind(models.TextChoices):
        BACKCHANNEL = "oidc", "OIDC back-channel logout"
        CAS = "cas", "CAS SAML LogoutRequest"
        SAML = "saml", "SAML 2.0 LogoutRequest (SOAP)"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    form_field = models.CharField(max_length=32)  # logout_token / logoutRequest
    payload = models.TextField()

    class Meta(OutboxMessage.Meta):
        verbose_name = _("单点退出通知")
        verbose_name_plural = _("单点退出通知")
        indexes = [*OutboxMessage.Meta.indexes, models.Index(fields=["next_attempt_at"], name="logout_due",
                                condition=models.Q(delivered_at__isnull=True, failed_at__isnull=True))]

    def __str__(self):
        return f"{self.kind} → {self.url}"


class Ephemeral(models.Model):
    """Authorization codes and CAS tickets when there is no Redis (see store.py)."""

    key = models.CharField(max_length=200, primary_key=True)
    value = models.JSONField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.key
