from django import forms
from django.utils.translation import gettext_lazy as _

from idp.accounts.forms import NameField
from idp.core.widgets import date_input
from idp.delegation.services import delegable_systems

DATE_INPUT = date_input()


class GrantForm(forms.Form):
    """用户授权管理 → 新增授权."""

    login_name = forms.CharField(label=_("被授权人登录名"), max_length=64,
                                 error_messages={"required": _("请输入被授权人的登录名")})
    name = NameField(label=_("被授权人姓名"), max_length=100, error_messages={"required": _("请输入被授权人的姓名")})
    id_suffix = forms.RegexField(label=_("证件号码后四位"), regex=r"^[0-9A-Za-z]{4}$", max_length=4,
                                 error_messages={"required": _("请输入证件号码后四位"),
                                                 "invalid": _("请输入证件号码的最后四位(数字或字母)")})
    systems = forms.ModelMultipleChoiceField(
        label=_("授权业务系统"), queryset=delegable_systems(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请选择至少一个业务系统"), "invalid_choice": _("该业务系统不支持代办授权"),
                        "invalid_pk_value": _("该业务系统不支持代办授权")})
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=DATE_INPUT,
                                 help_text=_("不填表示长期有效,可随时撤销"),
                                 error_messages={"invalid": _("日期格式应为 年-月-日")})


class ExpiryForm(forms.Form):
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=DATE_INPUT,
                                 error_messages={"invalid": _("日期格式应为 年-月-日")})
