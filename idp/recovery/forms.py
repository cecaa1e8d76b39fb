from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from idp.accounts.document_fields import clean_identity, id_number_input, id_type_choice, identity_type_choice
from idp.accounts.forms import IdentifierField, NameField, PasswordPairMixin, password_widget
from idp.accounts.models import AGENT, OWN_DOCUMENT, LegalType
from idp.core.captcha import PlatformCaptchaField
from idp.identifiers import validators

REASONS = [("", _("-请选择-")), ("forgot", _("忘记密码")), ("leaked", _("密码可能泄露")),
           ("routine", _("定期更换密码")),
           ("other", _("其他"))]


class LookupForm(forms.Form):
    """检索用户."""

    login_name = forms.CharField(label=_("登录名"), max_length=64, error_messages={"required": _("请输入登录名")})
    captcha = PlatformCaptchaField()


class SendCodeForm(forms.Form):
    """获取短信验证码 on the 重置密码 step: every send needs a fresh image captcha."""

    captcha = PlatformCaptchaField(label=_("图片验证码"), help_text=_("每次获取短信验证码前,请输入图片中的验证码"))


class ResetForm(PasswordPairMixin, forms.Form):
    """重置密码 (SPEC 5.1 step 2); the organisation fields are dropped for natural persons."""

    method = forms.ChoiceField(label=_("验证方式"), choices=[("phone", _("手机号")), ("email", _("电子邮箱"))],
                               initial="phone", widget=forms.RadioSelect)
    phone = forms.CharField(label=_("预留手机号"), max_length=20, required=False)
    phone_confirm = forms.CharField(label=_("确认预留手机号"), max_length=20, required=False)
    email = forms.EmailField(label=_("预留电子邮箱"), required=False)
    email_confirm = forms.EmailField(label=_("确认预留电子邮箱"), required=False)
    org_name = NameField(label=_("单位名称"), max_length=200, error_messages={"required": _("请输入单位名称")})
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40, required=False)
    reason = forms.ChoiceField(label=_("密码修改原因"), choices=REASONS,
                               error_messages={"required": _("请选择密码修改原因")})
    password = forms.CharField(label=_("新密码"), widget=password_widget(),
                               error_messages={"required": _("请输入新密码")})
    password_confirm = forms.CharField(label=_("确认新密码"), widget=password_widget(),
                                       error_messages={"required": _("请再次输入新密码")})
    code = forms.CharField(label=_("手机验证码"), max_length=6, error_messages={"required": _("请输入验证码")})

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        if not account.is_legal:
            del self.fields["org_name"], self.fields["uscc"]

    def clean(self):
        data = super().clean()
        method = data.get("method")
        field = "phone" if method == "phone" else "email"
        if method and not data.get(field):
            self.add_error(field, _("请输入预留手机号") if method == "phone" else _("请输入预留电子邮箱"))
        if method and not data.get(f"{field}_confirm") and f"{field}_confirm" not in self.errors:
            self.add_error(f"{field}_confirm", _("请再次输入"))
        return data

    @property
    def destination(self) -> str:
        return self.cleaned_data.get("phone" if self.cleaned_data.get("method") == "phone" else "email") or ""


class SetPasswordForm(PasswordPairMixin, forms.Form):
    password = forms.CharField(label=_("新密码"), widget=password_widget(),
                               error_messages={"required": _("请输入新密码")})
    password_confirm = forms.CharField(label=_("确认新密码"), widget=password_widget(),
                                       error_messages={"required": _("请再次输入新密码")})

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account


def image_field(label: str):
    return forms.FileField(label=label, error_messages={"required": format_lazy(_("请上传{document}"), document=label)},
                           widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png",
                                                                  "data-max-bytes": settings.IDP_UPLOAD_MAX_BYTES}))


class PersonAppealForm(forms.Form):
    """自然人申诉找回密码 (SPEC 5.2)."""

    name = NameField(label=_("姓名"), max_length=100, error_messages={"required": _("请输入姓名")})
    identity_type = identity_type_choice(OWN_DOCUMENT)
    id_type = id_type_choice()
    id_number = id_number_input()
    phone = IdentifierField(validators.mobile, label=_("手机号"), error_messages={"required": _("请输入手机号")})
    front = image_field(_("证件正面"))
    back = image_field(_("证件反面"))
    sms_code = forms.CharField(label=_("手机验证码"), max_length=6, error_messages={"required": _("请输入短信验证码")})

    sms_phone_field, sms_code_field, sms_purpose = "phone", "sms_code", "appeal"

    def clean(self):
        super().clean()
        clean_identity(self, OWN_DOCUMENT, validity=False)
        return self.cleaned_data


class OrgSearchForm(forms.Form):
    """检索单位 (SPEC 5.3 step 1)."""

    org_name = NameField(label=_("单位全称"), max_length=200, error_messages={"required": _("请输入单位全称")})
    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40, required=False,
                           help_text=_("选填:填写后可查看本单位法人账号的登录名(部分隐藏)"))
    captcha = PlatformCaptchaField()


class OrgAppealForm(forms.Form):
    """单位法人用户申诉找回密码 (SPEC 5.3 step 2): the new main agent's data."""

    org_name = NameField(label=_("单位名称"), max_length=200, error_messages={"required": _("请输入单位名称")})
    legal_type = forms.ChoiceField(label=_("法人类型"), choices=LegalType.choices, initial=LegalType.ENTERPRISE,
                                   widget=forms.RadioSelect)
    uscc = IdentifierField(validators.uscc, label=_("统一社会信用代码"), required=False, max_length=40)
    name = NameField(label=_("主代办人姓名"), max_length=100, error_messages={"required": _("请输入主代办人姓名")})
    identity_type = identity_type_choice(OWN_DOCUMENT, AGENT)
    id_type = id_type_choice(AGENT)
    id_number = id_number_input(AGENT)
    phone = IdentifierField(validators.mobile, label=_("主代办人移动电话"),
                            error_messages={"required": _("请输入主代办人移动电话")})
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    front = image_field(_("主代办人证件正面"))
    back = image_field(_("主代办人证件反面"))

    def clean(self):
        super().clean()
        clean_identity(self, OWN_DOCUMENT, validity=False)
        return self.cleaned_data


class AppealStatusForm(forms.Form):
    reference = forms.CharField(label=_("申诉编号"), max_length=24, error_messages={"required": _("请输入申诉编号")})
    phone = forms.CharField(label=_("手机号"), max_length=20,
                            error_messages={"required": _("请输入申诉时填写的手机号")})
    captcha = PlatformCaptchaField()
