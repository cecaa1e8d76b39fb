import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from idp.core.fields import EncryptedTextField
from idp.review import Claimable


class Slot(models.TextChoices):
    """Upload slots of 人工认证 (SPEC 3)."""

    ID_FRONT = "id_front", _("注册人身份证正面")
    ID_BACK = "id_back", _("注册人身份证反面")
    ORG_CERTIFICATE = "org_certificate", _("组织机构代码证")
    LR_DOCUMENT = "lr_document", _("法定代表人证件信息")
    OTHER = "other", _("其他资料")


NATURAL_SLOTS = (Slot.ID_FRONT, Slot.ID_BACK)
LEGAL_SLOTS = (Slot.ORG_CERTIFICATE, Slot.LR_DOCUMENT, Slot.OTHER)


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", _("待人工审核")
    APPROVED = "approved", _("已审核认证")
    REJECTED = "rejected", _("审核未通过")
    SUPERSEDED = "superseded", _("信息已修改,需重新上传")


class Submission(Claimable):
    """One 提交 of manual-verification documents, and the reviewer's decision on it."""

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="verification_submissions")
    status = models.CharField(max_length=12, choices=SubmissionStatus.choices,
                              default=SubmissionStatus.PENDING)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            # A second 提交 while one is pending is refused by the database.
            models.UniqueConstraint(fields=["account"], condition=Q(status="pending"),
                                    name="one_pending_submission_per_account"),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self):
        return f"submission {self.pk} of {self.account_id} ({self.status})"


class EvidenceFile(models.Model):
    """An uploaded document, stored outside any public URL under a random name."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    slot = models.CharField(max_length=20, choices=Slot.choices)
    storage_name = models.CharField(max_length=64, unique=True)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=120, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "slot"], name="one_file_per_slot")]

    def __str__(self):
        return f"{self.get_slot_display()} ({self.content_type}, {self.size} B)"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class PrivateDocument(models.Model):
    """The bytes of an uploaded document (verification evidence, appeal images), base64 in an
    encrypted column bound to its random name: in the database, every node reads it, it is
    backed up with the rest, and a copy of the database alone does not show it."""

    REENCRYPT_BATCH = 10  # rows of up to 1.4 MB each: `reencrypt` loads few at a time

    name = models.CharField(max_length=64, primary_key=True)
    content = EncryptedTextField(bind="name")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name
