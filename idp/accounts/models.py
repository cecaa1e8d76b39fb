from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.core import crypto
from idp.core.fields import EncryptedTextField
from idp.identifiers.documents import DOCUMENT_TYPE_CHOICES, IDENTITY_TYPE_CHOICES
from idp.identifiers.masking import mask_id_number, mask_phone


class AccountKind(models.TextChoices):
    NATURAL = "natural", gettext_lazy("自然人")
    LEGAL = "legal", gettext_lazy("法人")


# The two windows of the login page (SPEC 1), wherever a page sends people to one.
LOGIN_WINDOWS = {AccountKind.NATURAL: gettext_lazy("自然人登录"), AccountKind.LEGAL: gettext_lazy("法人登录")}
# Whom a service item serves (服务事项 → 按用户).
USER_KIND_LABELS = {AccountKind.NATURAL: gettext_lazy("自然人"), AccountKind.LEGAL: gettext_lazy("法人单位")}


class RealNameStatus(models.TextChoices):
    """SPEC 3: one state machine for both kinds."""

    UNVERIFIED = "unverified", gettext_lazy("未实名认证")
    REGISTRY_PASSED = "registry_passed", gettext_lazy("国家平台实名认证通过")
    REGISTRY_FAILED = "registry_failed", gettext_lazy("实名认证失败")
    PENDING_REVIEW = "pending_review", gettext_lazy("待人工审核")
    REVIEW_APPROVED = "review_approved", gettext_lazy("已审核认证")
    REVIEW_REJECTED = "review_rejected", gettext_lazy("审核未通过")


# LOWER(login_name): the expression of the unique constraint's index (Account.Meta).
_BY_LOGIN_NAME = ("SELECT a.*, EXISTS (SELECT 1 FROM accounts_totpdevice d WHERE d.account_id = a.id) AS has_totp "
                  "FROM accounts_account a WHERE LOWER(a.login_name) = %s")


class AccountManager(BaseUserManager):
    def get_by_natural_key(self, login_name):
        # The login needs to know whether a second factor is enrolled (mfa.enrolled): one query,
        # written out because the ORM took longer to build it (annotate + Exists) than to run it.
        found = list(self.raw(_BY_LOGIN_NAME, [login_name.lower()]))
        if not found:
            raise self.model.DoesNotExist
        return found[0]

    def create_user(self, login_name, password=None, **fields):
        account = self.model(login_name=login_name, **fields)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, login_name, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        fields.setdefault("kind", AccountKind.NATURAL)
        return self.create_user(login_name, password, **fields)


PASSING_STATUSES = frozenset({RealNameStatus.REGISTRY_PASSED, RealNameStatus.REVIEW_APPROVED})


class AdminRole(models.TextChoices):
    """The three separated administrator roles of 等保 2.0 (8.1.4.2 d, accounts/roles.py): one
    per account, given only by `manage.py admin_role` (a shell on a node), never from a page."""

    SYSTEM = "system", gettext_lazy("系统管理员")
    SECURITY = "security", gettext_lazy("安全管理员")
    AUDIT = "audit", gettext_lazy("审计管理员")


class Account(AbstractBaseUser, PermissionsMixin):
    """A login of either kind. Natural persons have `person`, legal persons `organisation`."""

    login_name = models.CharField(gettext_lazy("登录名"), max_length=64)
    # Wider than Django's 128: an argon2id-wrapped legacy digest also keeps the legacy salt (≤ 128).
    password = models.CharField(gettext_lazy("密码"), max_length=400)
    kind = models.CharField(gettext_lazy("用户类型"), max_length=8, choices=AccountKind.choices)
    # 预留手机号: the person's own mobile, or an organisation's main agent's mobile.
    phone = models.CharField(gettext_lazy("手机号码"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(gettext_lazy("电子邮箱"), blank=True)
    # The language the person last used the platform in: messages sent to them use it.
    language = models.CharField(gettext_lazy("语言"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    realname_status = models.CharField(
        gettext_lazy("实名认证状态"),
        max_length=20,
        choices=RealNameStatus.choices,
        default=RealNameStatus.UNVERIFIED,
    )
    # Why the last check failed or was rejected, or why it could not run; shown on 我的信息.
    realname_reason = models.CharField(gettext_lazy("实名认证说明"), max_length=255, blank=True)
    realname_at = models.DateTimeField(gettext_lazy("实名认证时间"), null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(gettext_lazy("审核员/管理员"), default=False)
    admin_role = models.CharField(gettext_lazy("管理员角色"), max_length=10, choices=AdminRole.choices, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # When the holder (or a reset) last chose the password — not a re-hash at login. Staff must
    # change theirs after IDP_STAFF_PASSWORD_MAX_DAYS (accounts/roles.py).
    password_changed_at = models.DateTimeField(gettext_lazy("密码修改时间"), default=timezone.now)

    objects = AccountManager()

    USERNAME_FIELD = "login_name"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = gettext_lazy("账号")
        verbose_name_plural = gettext_lazy("账号")
        constraints = [
            models.UniqueConstraint(Lower("login_name"), name="account_login_name_ci_unique"),
        ]

    def __str__(self):
        return self.login_name

    def set_new_password(self, raw_password: str) -> None:
        """A password the holder chose (a change or a reset): save `password` and `password_changed_at`."""
        self.set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def is_natural(self) -> bool:
        return self.kind == AccountKind.NATURAL

    @property
    def is_legal(self) -> bool:
        return self.kind == AccountKind.LEGAL

    @property
    def display_name(self) -> str:
        profile = getattr(self, "person", None) if self.is_natural else getattr(
            self, "organisation", None
        )
        return (profile.name if profile else "") or self.login_name

    @property
    def kind_label(self) -> str:
        return _("自然人") if self.is_natural else _("法人(单位管理员)")

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_realname_verified(self) -> bool:
        """已实名认证: either passing state."""
        return self.realname_status in PASSING_STATUSES

    @property
    def profile(self):
        return self.person if self.is_natural else self.organisation


LR, AGENT = gettext_lazy("法定代表人"), gettext_lazy("主代办人")  # whose document it is


def holder_label(holder, label):
    """「法定代表人」+「证件号码」 as one translatable label; just the label without a holder."""
    return format_lazy(gettext_lazy("{holder}{label}"), holder=holder, label=label) if holder else label


# --- identity documents ------------------------------------------------------------------------
# A person has one identity document, an organisation two (its legal representative's and its
# main agent's), an appeal one. Each is seven columns, declared by name in each model with the
# field functions below; DocumentFields names them where code handles a document as a whole.

def identity_type_field(holder=""):
    return models.CharField(holder_label(holder, gettext_lazy("身份类型")), max_length=10,
                            choices=IDENTITY_TYPE_CHOICES, blank=True)


def id_type_field(holder=""):
    return models.CharField(holder_label(holder, gettext_lazy("证件类型")), max_length=32,
                            choices=DOCUMENT_TYPE_CHOICES, blank=True)


def id_number_field(holder="", *, bind="account_id"):
    """The number, encrypted (bound to `bind`, EncryptedTextField)."""
    return EncryptedTextField(holder_label(holder, gettext_lazy("证件号码")), blank=True, bind=bind)


def id_index_field():
    """The number's blind index, for look-ups (core/crypto.py)."""
    return models.CharField(max_length=64, blank=True, db_index=True)


def valid_from_field(holder=""):
    return models.DateField(holder_label(holder, gettext_lazy("证件有效期起")), null=True, blank=True)


def valid_to_field(holder=""):
    return models.DateField(holder_label(holder, gettext_lazy("证件有效期止")), null=True, blank=True)


def long_term_field(holder=""):
    return models.BooleanField(holder_label(holder, gettext_lazy("证件长期有效")), default=False)


@dataclass(frozen=True)
class DocumentFields:
    """The attribute names of one identity document, on a model and on the forms that edit it."""

    identity_type: str
    id_type: str
    id_number: str
    id_index: str
    valid_from: str
    valid_to: str
    long_term: str


OWN_DOCUMENT = DocumentFields("identity_type", "id_type", "id_number", "id_index", "id_valid_from",
                              "id_valid_to", "id_long_term")
LR_DOCUMENT = DocumentFields("lr_identity_type", "lr_id_type", "lr_id_number", "lr_id_index", "lr_id_valid_from",
                             "lr_id_valid_to", "lr_id_long_term")
AGENT_DOCUMENT = DocumentFields("agent_identity_type", "agent_id_type", "agent_id_number", "agent_id_index",
                                "agent_id_valid_from", "agent_id_valid_to", "agent_id_long_term")


def set_document(obj, document: DocumentFields, *, identity_type: str, id_type: str, id_number: str) -> None:
    """Set one identity document on `obj`; `id_number` must already be validated/normalised."""
    setattr(obj, document.identity_type, identity_type)
    setattr(obj, document.id_type, id_type)
    setattr(obj, document.id_number, id_number)
    setattr(obj, document.id_index, crypto.blind_index(id_type, id_number) if id_number else "")


def document_indexes(obj, document: DocumentFields = None) -> set[str]:
    """The blind indexes of a document's number in both crypto suites (core/crypto.py), from the
    plaintext: what comparisons and look-ups use while `reencrypt` moves rows between suites."""
    document = document or OWN_DOCUMENT
    number = getattr(obj, document.id_number)
    return set(crypto.blind_indexes(getattr(obj, document.id_type), number)) if number else set()


class Gender(models.TextChoices):
    MALE = "male", gettext_lazy("男")
    FEMALE = "female", gettext_lazy("女")


class NaturalPerson(models.Model):
    """自然人用户信息 (SPEC 3)."""

    # `reencrypt` rebuilds these blind indexes in the current crypto suite; verified_id_index,
    # a copy of id_index while the document is verified here, follows it.
    INDEXED_DOCUMENTS = (OWN_DOCUMENT,)
    INDEX_COPIES = {"verified_id_index": "id_index"}

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="person")
    name = models.CharField(gettext_lazy("姓名"), max_length=100)
    gender = models.CharField(gettext_lazy("性别"), max_length=8, choices=Gender.choices, blank=True)
    ethnicity = models.CharField(gettext_lazy("民族"), max_length=32, blank=True)
    title = models.CharField(gettext_lazy("职务"), max_length=64, blank=True)
    birth_date = models.DateField(gettext_lazy("出生日期"), null=True, blank=True)
    telephone = models.CharField(gettext_lazy("电话"), max_length=32, blank=True)
    address = models.CharField(gettext_lazy("详细地址"), max_length=255, blank=True)
    identity_type = identity_type_field()
    id_type = id_type_field()
    id_number = id_number_field()
    id_index = id_index_field()
    id_valid_from = valid_from_field()
    id_valid_to = valid_to_field()
    id_long_term = long_term_field()
    # The document's blind index while this account is verified with it: one document
    # verifies one account (SPEC 2.1), enforced by this column's unique index.
    verified_id_index = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = gettext_lazy("自然人")
        verbose_name_plural = gettext_lazy("自然人")

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def missing_required(self) -> list[str]:
        """Labels of required fields that are empty (用户信息不全)."""
        required = {_("姓名"): self.name, _("证件类型"): self.id_type, _("证件号码"): self.id_number,
                    _("手机"): self.account.phone}
        return [label for label, value in required.items() if not value]


class OrganisationChange(models.Model):
    """信息更新记录: one save of an organisation's data, with each changed field's old and new
    value (identity numbers and phones masked)."""

    organisation = models.ForeignKey("Organisation", on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(Account, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=list)  # [{"field", "label", "old", "new"}]

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.organisation_id} changed at {self.at:%Y-%m-%d %H:%M}"


class RegionType(models.TextChoices):
    DOMESTIC = "domestic", gettext_lazy("境内单位")
    HMT = "hmt", gettext_lazy("港澳台地区单位")
    FOREIGN = "foreign", gettext_lazy("境外单位")


class LegalType(models.TextChoices):
    ENTERPRISE = "enterprise", gettext_lazy("企业法人")
    SOCIAL = "social", gettext_lazy("社会组织法人")
    INSTITUTION = "institution", gettext_lazy("事业单位法人")
    OTHER = "other", gettext_lazy("其他")


class Organisation(models.Model):
    """法人单位: the organisation, its legal representative (lr_) and main agent (agent_).

    The main agent's mobile is the account's reserved phone (`account.phone`).
    """

    INDEXED_DOCUMENTS = (LR_DOCUMENT, AGENT_DOCUMENT)  # rebuilt by `reencrypt`

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="organisation")
    name = models.CharField(gettext_lazy("单位名称"), max_length=200, db_index=True)
    english_name = models.CharField(gettext_lazy("英文名称"), max_length=200, blank=True)
    short_name = models.CharField(gettext_lazy("单位简称"), max_length=100, blank=True)
    homepage = models.URLField(gettext_lazy("单位主页"), blank=True)
    region_type = models.CharField(gettext_lazy("注册单位类型"), max_length=10, choices=RegionType.choices)
    legal_type = models.CharField(gettext_lazy("法人类型"), max_length=12, choices=LegalType.choices)
    region = models.CharField(gettext_lazy("单位所在地区"), max_length=100, blank=True)
    # Required for domestic units; NULL for units outside the mainland (unique where set).
    uscc = models.CharField(
        gettext_lazy("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True,
        error_messages={"unique": gettext_lazy("该统一社会信用代码已注册法人账号,如账号被他人占用请通过法人申诉找回")},
    )
    registration_number = models.CharField(gettext_lazy("注册登记号码"), max_length=64, blank=True)
    # 法人单位其他信息
    address = models.CharField(gettext_lazy("单位地址"), max_length=255, blank=True)
    postal_code = models.CharField(gettext_lazy("邮政编码"), max_length=10, blank=True)
    telephone = models.CharField(gettext_lazy("单位电话"), max_length=32, blank=True)
    business_scope = models.TextField(gettext_lazy("业务范围"), blank=True)
    # 法定代表人信息
    lr_name = models.CharField(gettext_lazy("法定代表人姓名"), max_length=100)
    lr_mobile = models.CharField(gettext_lazy("法定代表人手机号码"), max_length=20, blank=True)
    lr_identity_type = identity_type_field(LR)
    lr_id_type = id_type_field(LR)
    lr_id_number = id_number_field(LR)
    lr_id_index = id_index_field()
    lr_id_valid_from = valid_from_field(LR)
    lr_id_valid_to = valid_to_field(LR)
    lr_id_long_term = long_term_field(LR)
    # 主代办人信息
    agent_name = models.CharField(gettext_lazy("主代办人姓名"), max_length=100)
    agent_identity_type = identity_type_field(AGENT)
    agent_id_type = id_type_field(AGENT)
    agent_id_number = id_number_field(AGENT)
    agent_id_index = id_index_field()
    agent_id_valid_from = valid_from_field(AGENT)
    agent_id_valid_to = valid_to_field(AGENT)
    agent_id_long_term = long_term_field(AGENT)

    class Meta:
        verbose_name = gettext_lazy("法人单位")
        verbose_name_plural = gettext_lazy("法人单位")

    def __str__(self):
        return self.name

    @property
    def missing_required(self) -> list[str]:
        """Labels of required data that is empty (用户信息不全) — e.g. a migrated enterprise has no
        法定代表人 or 主代办人 data yet."""
        required = {_("单位名称"): self.name, _("法定代表人姓名"): self.lr_name,
                    _("法定代表人证件号码"): self.lr_id_number, _("主代办人姓名"): self.agent_name,
                    _("主代办人证件号码"): self.agent_id_number, _("主代办人手机号码"): self.account.phone}
        if self.region_type == RegionType.DOMESTIC:
            required[_("统一社会信用代码")] = self.uscc
        return [label for label, value in required.items() if not value]

    @property
    def masked_lr_id_number(self) -> str:
        return mask_id_number(self.lr_id_number)

    @property
    def masked_agent_id_number(self) -> str:
        return mask_id_number(self.agent_id_number)

    @property
    def masked_lr_mobile(self) -> str:
        return mask_phone(self.lr_mobile)


class TotpDevice(models.Model):
    """两步验证: an authenticator app (TOTP, RFC 6238) enrolled for the account (accounts/mfa.py)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="totp")
    secret = EncryptedTextField(bind="account_id")
    created_at = models.DateTimeField(auto_now_add=True)
    # The last time step a code was accepted for: a code is never accepted twice.
    last_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = gettext_lazy("两步验证设备")
        verbose_name_plural = gettext_lazy("两步验证设备")

    def __str__(self):
        return _("两步验证 · %(account)s") % {"account": self.account_id}


class RecoveryCode(models.Model):
    """A single-use code for when the authenticator is lost; only its keyed digest is kept."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "digest"])]

    def __str__(self):
        return _("恢复码 · %(account)s") % {"account": self.account_id}


class Passkey(models.Model):
    """A passkey (WebAuthn discoverable credential) the person enrolled (accounts/passkeys.py)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(gettext_lazy("名称"), max_length=40)
    credential_id = models.BinaryField(max_length=1024, unique=True)
    public_key = models.BinaryField(max_length=2048)  # COSE
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Set by a password recovery: the person confirms each passkey is still theirs (a lost phone's
    # passkey would outlive the new password).
    to_review = models.BooleanField(default=False)

    class Meta:
        verbose_name = gettext_lazy("通行密钥")
        verbose_name_plural = gettext_lazy("通行密钥")

    def __str__(self):
        return _("通行密钥 · %(account)s") % {"account": self.account_id}
