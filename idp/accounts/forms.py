"""Forms of the account pages. Field labels are the spec's Chinese labels (CONTRACT.md)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from idp.accounts.document_fields import (
    BLANK_CHOICE,
    DATE_INPUT,
    clean_identity,
    id_number_input,
    id_type_choice,
    identity_type_choice,
    identity_widgets,
    long_term_check,
    valid_from_input,
    valid_to_input,
)
from idp.accounts.models import (
    AGENT,
    AGENT_DOCUMENT,
    LR,
    LR_DOCUMENT,
    OWN_DOCUMENT,
    AccountKind,
    DocumentFields,
    Gender,
    LegalType,
    NaturalPerson,
    Organisation,
    RegionType,
)
from idp.accounts.passwords import check_password_rule
from idp.core.captcha import PlatformCaptchaField
from idp.identifiers import validators
from idp.identifiers.documents import (
    IDENTITY_TYPE_CHOICES,
)


class IdentifierField(forms.CharField):
    """A CharField cleaned by one of idp.identifiers.validators."""

    def __init__(self, validate, **kwargs):
        self.validate_identifier = validate
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            return self.validate_identifier(value)
        except validators.InvalidIdentifier as exc:
            raise ValidationError(str(exc), code="invalid") from None


class NameField(IdentifierField):
    """Every name field: a person's or organisation's name (validators.display_name)."""

    def __init__(self, **kwargs):
        super().__init__(validators.display_name, **kwargs)


def password_widget():
    # Re-rendered after an error so nothing typed is lost (the page is served over HTTPS
    # and the value goes back only to the person who typed it).
    return forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password",
                                                         "data-strength-meter": "1"})


# Fields of the registration and recovery forms that hold what the account is known by.
PERSONAL_FIELDS = ("login_name", "name", "phone", "email", "org_name", "lr_name", "agent_name", "lr_mobile")


class PasswordPairMixin:
    """`password` + `password_confirm`: the password rule, and both must match. `account`,
    when the form is for an existing account, adds its login name, name, phone and e-mail to
    what the password may not resemble."""

    account = None

    def _personal(self) -> list[str]:
        values = [self.data.get(name, "") for name in PERSONAL_FIELDS]
        if self.account is not None:
            values += [self.account.login_name, self.account.phone, self.account.email,
                       self.account.display_name]
        return values

    def clean_password(self):
        password = self.cleaned_data["password"]
        try:
            check_password_rule(password, personal=self._personal())
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from None
        return password

    def clean_password_confirm(self):
        password = self.cleaned_data.get("password")
        confirm = self.cleaned_data.get("password_confirm")
        if password and confirm != password:
            raise ValidationError(_("两次输入的密码不一致"))
        return confirm


def login_name_field():
    return IdentifierField(
        validators.login_name, label=_("登录名"),
        help_text=_("只能包含数字、字母、下划线"),
        error_messages={"required": _("请输入登录名")},
    )


def agreement_field(title: str):
    return forms.BooleanField(
        label=format_lazy(_("我已阅读并同意{title}"), title=title),
        error_messages={"required": format_lazy(_("请阅读并同意{title}"), title=title)},
    )


class NaturalRegistrationForm(PasswordPairMixin, forms.Form):
    """自然人注册 (SPEC 2.1)."""

    login_name = login_name_field()
    password = forms.CharField(label=_("登录密码"), widget=password_widget(),
                               error_messages={"required": _("请输入登录密码")})
    password_confirm = forms.CharField(label=_("密码确认"), widget=password_widget(),
                                       error_messages={"required": _("请再次输入密码")})
    name = NameField(label=_("姓名"), max_length=100, error_messages={"required": _("请输入姓名")})
    identity_type = identity_type_choice(OWN_DOCUMENT)
    id_type = id_type_choice()
    id_number = id_number_input()
    phone = IdentifierField(validators.mobile, label=_("手机号码"),
                            error_messages={"required": _("请输入手机号码")})
    sms_code = forms.CharField(label=_("验证码"), max_length=6,
                               error_messages={"required": _("请输入短信验证码")})
    agree = agreement_field(_("《自然人实名注册协议》"))

    sms_phone_field, sms_code_field, sms_purpose = "phone", "sms_code", "register"

    def clean(self):
        super().clean()
        clean_identity(self, OWN_DOCUMENT, validity=False)
        return self.cleaned_data


class LegalRegistrationForm(PasswordPairMixin, forms.Form):
    """单位用户(法人)注册 (SPEC 2.2)."""

    login_name = login_name_field()
    password = forms.CharField(label=_("密码"), widget=password_widget(),
                               error_messages={"required": _("请输入密码")})
    password_confirm = forms.CharField(label=_("重复密码"), widget=password_widget(),
                                       error_messages={"required": _("请再次输入密码")})
    org_name = NameField(label=_("法人单位名称"), max_length=200,
                               error_messages={"required": _("请输入法人单位名称")})
    region_type = forms.ChoiceField(label=_("注册单位类型"), choices=RegionType.choices,
                                    initial=RegionType.DOMESTIC, widget=forms.RadioSelect)
    legal_type = forms.ChoiceField(label=_("法人类型"), choices=LegalType.choices,
                                   initial=LegalType.ENTERPRISE, widget=forms.RadioSelect)
    uscc = IdentifierField(validators.uscc, label=_("统一社会信用代码"), required=False, max_length=40)
    registration_number = forms.CharField(
        label=_("注册登记号码"), required=False, max_length=64,
        help_text=_("港澳台地区单位、境外单位填写本地注册登记号码"),
    )
    lr_name = NameField(label=_("法定代表人姓名"), max_length=100,
                              error_messages={"required": _("请输入法定代表人姓名")})
    lr_mobile = IdentifierField(validators.mobile, label=_("法定代表人手机号码"),
                                error_messages={"required": _("请输入法定代表人手机号码")})
    lr_identity_type = identity_type_choice(LR_DOCUMENT, LR)
    lr_id_type = id_type_choice(LR)
    lr_id_number = id_number_input(LR)
    lr_id_valid_from = valid_from_input(LR)
    lr_id_valid_to = valid_to_input(LR)
    lr_id_long_term = long_term_check()
    agent_name = NameField(label=_("主代办人姓名"), max_length=100,
                                 error_messages={"required": _("请输入主代办人姓名")})
    agent_mobile = IdentifierField(validators.mobile, label=_("主代办人手机号码"),
                                   error_messages={"required": _("请输入主代办人手机号码")})
    agent_sms_code = forms.CharField(label=_("主代办人手机号验证码"), max_length=6,
                                     error_messages={"required": _("请输入短信验证码")})
    agent_identity_type = identity_type_choice(AGENT_DOCUMENT, AGENT)
    agent_id_type = id_type_choice(AGENT)
    agent_id_number = id_number_input(AGENT)
    agent_id_valid_from = valid_from_input(AGENT)
    agent_id_valid_to = valid_to_input(AGENT)
    agent_id_long_term = long_term_check()
    agree = agreement_field(_("《法人实名注册协议》"))

    sms_phone_field, sms_code_field, sms_purpose = "agent_mobile", "agent_sms_code", "register_agent"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("region_type") == RegionType.DOMESTIC:
            if not data.get("uscc") and "uscc" not in self.errors:
                self.add_error("uscc", _("境内单位必须填写统一社会信用代码"))
            data["registration_number"] = ""
        elif data.get("region_type"):
            data["uscc"] = None
            if not (data.get("registration_number") or "").strip():
                self.add_error("registration_number", _("港澳台地区单位、境外单位请填写注册登记号码"))
        clean_identity(self, LR_DOCUMENT, validity=True)
        clean_identity(self, AGENT_DOCUMENT, validity=True)
        return data


class LoginForm(forms.Form):
    """统一用户登录 (SPEC 1); `kind` is the tab."""

    kind = forms.ChoiceField(choices=AccountKind.choices, widget=forms.HiddenInput)
    login_name = forms.CharField(label=_("登录名"), max_length=64,
                                 error_messages={"required": _("请输入登录名")},
                                 # "webauthn": the browser's autofill also offers the site's passkeys.
                                 widget=forms.TextInput(attrs={"autocomplete": "username webauthn",
                                                               "autofocus": True,
                                                               "placeholder": _("请输入登录名")}))
    password = forms.CharField(label=_("密码"), max_length=128,
                               error_messages={"required": _("请输入密码")},
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                                                 "placeholder": _("请输入密码")}))
    captcha = PlatformCaptchaField()


class PasswordChangeForm(PasswordPairMixin, forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput, max_length=128,
                                   error_messages={"required": _("请输入原密码")})
    password = forms.CharField(label=_("新密码"), widget=password_widget(),
                               error_messages={"required": _("请输入新密码")})
    password_confirm = forms.CharField(label=_("确认新密码"), widget=password_widget(),
                                       error_messages={"required": _("请再次输入新密码")})

    def __init__(self, account, *args, **kwargs):
        self.account = account
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        old = self.cleaned_data["old_password"]
        if not self.account.check_password(old):
            raise ValidationError(_("原密码错误"))
        return old


class ProfileFormMixin:
    """Shared by both profile forms: identity numbers validated like at registration."""

    documents: tuple[DocumentFields, ...] = ()
    validity = False  # whether the documents carry 证件有效期 with 长期有效
    names: tuple[str, ...] = ()  # checked like every NameField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # the model's blank choice reads as at registration
            choices = list(getattr(field, "choices", []) or [])
            if choices[:1] == [("", "---------")]:
                field.choices = [BLANK_CHOICE, *choices[1:]]

    def _post_clean(self):
        for document in self.documents:
            clean_identity(self, document, validity=self.validity)
        for field in self.names:
            if self.cleaned_data.get(field):
                try:
                    self.cleaned_data[field] = validators.display_name(self.cleaned_data[field])
                except validators.InvalidIdentifier as error:
                    self.add_error(field, str(error))
        super()._post_clean()


class NaturalProfileForm(ProfileFormMixin, forms.ModelForm):
    """修改个人信息: the owner's edit form (the one place the full number is shown)."""

    documents = (OWN_DOCUMENT,)
    names = ("name",)
    email = forms.EmailField(label=_("电子邮箱"), required=False)

    class Meta:
        model = NaturalPerson
        fields = ["name", "gender", "ethnicity", "title", "birth_date", "telephone",
                  "identity_type", "id_type", "id_number", "id_valid_from", "id_valid_to",
                  "address"]
        widgets = {"birth_date": DATE_INPUT, **identity_widgets(OWN_DOCUMENT)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("identity_type", "id_type", "id_number"):
            self.fields[name].required = True
        self.fields["identity_type"].choices = IDENTITY_TYPE_CHOICES
        self.fields["gender"].choices = [BLANK_CHOICE, *Gender.choices]
        self.fields["email"].initial = self.instance.account.email


class OrganisationProfileForm(ProfileFormMixin, forms.ModelForm):
    """修改法人信息."""

    documents = (LR_DOCUMENT, AGENT_DOCUMENT)
    validity = True
    names = ("name", "english_name", "short_name", "lr_name", "agent_name")
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    homepage = forms.URLField(label=_("单位主页"), required=False, assume_scheme="https")
    uscc = IdentifierField(validators.uscc, label=_("统一社会信用代码"), required=False, max_length=40)

    class Meta:
        model = Organisation
        fields = ["name", "english_name", "short_name", "homepage", "region_type", "legal_type",
                  "region", "uscc", "registration_number", "address", "postal_code", "telephone",
                  "business_scope",
                  "lr_name", "lr_mobile", "lr_identity_type", "lr_id_type", "lr_id_number",
                  "lr_id_valid_from", "lr_id_valid_to", "lr_id_long_term",
                  "agent_name", "agent_identity_type", "agent_id_type", "agent_id_number",
                  "agent_id_valid_from", "agent_id_valid_to", "agent_id_long_term"]
        widgets = {"business_scope": forms.Textarea(attrs={"rows": 3}),
                   **identity_widgets(LR_DOCUMENT), **identity_widgets(AGENT_DOCUMENT)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for document in self.documents:
            for name in (document.identity_type, document.id_type, document.id_number):
                self.fields[name].required = True
            self.fields[document.identity_type].choices = IDENTITY_TYPE_CHOICES
        self.fields["lr_mobile"] = IdentifierField(validators.mobile, label=_("法定代表人手机号码"))
        self.fields["email"].initial = self.instance.account.email

    def clean(self):
        data = super().clean()
        if data.get("region_type") == RegionType.DOMESTIC:
            if not data.get("uscc") and "uscc" not in self.errors:
                self.add_error("uscc", _("境内单位必须填写统一社会信用代码"))
        elif data.get("region_type"):
            data["uscc"] = None
        return data
