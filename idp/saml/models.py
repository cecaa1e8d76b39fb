"""A business system that speaks SAML 2.0: its service provider's metadata, as registered, and the
parts of it the platform uses on every sign-on."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.sso.models import Client


class Encryption(models.TextChoices):
    AES256_GCM = "aes256-gcm", "AES-256-GCM + RSA-OAEP"
    AES128_CBC = "aes128-cbc", _("AES-128-CBC + RSA-OAEP(旧服务提供方)")


class ServiceProvider(models.Model):
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="saml")
    entity_id = models.CharField(_("实体标识 entityID"), max_length=500, unique=True)
    metadata = models.TextField(_("服务提供方元数据"))
    # From the metadata: [{"binding", "location", "response_location", "index", "is_default"}].
    acs = models.JSONField(_("断言消费地址"))
    slo = models.JSONField(_("单点退出地址"), default=list, blank=True)
    signing_certificates = models.TextField(_("签名证书"), blank=True)  # PEM, one after another
    encryption_certificate = models.TextField(_("加密证书"), blank=True)
    authn_requests_signed = models.BooleanField(_("认证请求须签名"), default=False)
    sign_response = models.BooleanField(_("签名响应"), default=True)
    sign_assertion = models.BooleanField(_("签名断言"), default=True)
    encryption = models.CharField(_("断言加密算法"), max_length=16, choices=Encryption.choices,
                                  default=Encryption.AES256_GCM)
    default_relay_state = models.CharField(_("平台发起登录的 RelayState"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("SAML 服务提供方")
        verbose_name_plural = _("SAML 服务提供方")

    def __str__(self):
        return self.entity_id

    def signing_certificate_list(self) -> list[bytes]:
        pems, current = [], []
        for line in self.signing_certificates.splitlines():
            current.append(line)
            if line.startswith("-----END"):
                pems.append(("\n".join(current) + "\n").encode())
                current = []
        return pems
