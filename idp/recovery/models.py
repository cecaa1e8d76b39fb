import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.accounts.models import (
    OWN_DOCUMENT,
    id_index_field,
    id_number_field,
    id_type_field,
    identity_type_field,
    long_term_field,
    valid_from_field,
    valid_to_field,
)
from idp.identifiers.masking import mask_id_number
from idp.review import Claimable


class AppealKind(models.TextChoices):
    NATURAL = "natural", _("自然人申诉")
    LEGAL = "legal", _("单位法人用户申诉")


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("等待审核")
    APPROVED = "approved", _("审核通过")
    REJECTED = "rejected", _("审核未通过")


class Appeal(Claimable):
    """申诉找回密码 (SPEC 5.2, 5.3): what the appellant claims, for a reviewer to decide.

    For a natural person the identity is the appellant's own; for an organisation it is the
    (new) main agent's. The reply goes to `phone`.
    """

    INDEXED_DOCUMENTS = (OWN_DOCUMENT,)  # rebuilt by `reencrypt`

    reference = models.CharField(_("申诉编号"), max_length=24, unique=True)
    kind = models.CharField(max_length=8, choices=AppealKind.choices)
    status = models.CharField(max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    submitted_at = models.DateTimeField(auto_now_add=True)
    ip = models.CharField(max_length=45, blank=True)
    name = models.CharField(_("姓名"), max_length=100)
    identity_type = identity_type_field()
    id_type = id_type_field()
    id_number = id_number_field(bind="reference")
    id_index = id_index_field()
    id_valid_from = valid_from_field()
    id_valid_to = valid_to_field()
    id_long_term = long_term_field()
    phone = models.CharField(_("手机号"), max_length=20)
    email = models.EmailField(_("电子邮箱"), blank=True)
    language = models.CharField(_("语言"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)  # of the appellant: the reply's
    org_name = models.CharField(_("单位名称"), max_length=200, blank=True)
    legal_type = models.CharField(_("法人类型"), max_length=12, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", help_text="the account the reviewer applied the appeal to")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    reason = models.TextField(_("审核意见"), blank=True)
    # Four eyes: an approval that moves an account to another phone is first recorded here and
    # takes effect only when a second reviewer approves the same account.
    first_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    first_approved_account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                               on_delete=models.SET_NULL, related_name="+")
    first_approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["status", "kind", "submitted_at"])]

    def __str__(self):
        return self.reference

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class AppealFile(models.Model):
    """证件正面 / 证件反面 of an appeal, stored privately like verification documents."""

    SIDES = [("front", _("证件正面")), ("back", _("证件反面"))]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="files")
    side = models.CharField(max_length=8, choices=SIDES)
    storage_name = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appeal", "side"], name="one_appeal_file_per_side")]

    def __str__(self):
        return f"{self.appeal_id} {self.side}"


class ResetLink(models.Model):
    """A single-use link to set a new password, sent when an appeal is approved.

    Only a SHA-256 digest of the token is stored; the link is valid until `expires_at`.
    """

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    appeal = models.ForeignKey(Appeal, null=True, on_delete=models.SET_NULL, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"reset link for {self.account_id}"
