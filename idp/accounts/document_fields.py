"""The fields of one identity document on a form (身份类型, 证件类型, 证件号码, 证件有效期), shared by
registration, 我的信息 and the appeals, and their cross-field check."""

from django import forms
from django.utils.translation import gettext_lazy as _

from idp.accounts.models import holder_label
from idp.core.widgets import date_input
from idp.identifiers import validators
from idp.identifiers.documents import DOCUMENT_TYPES, IDENTITY_TYPE_CHOICES, IDENTITY_TYPES, validate_document

DATE_INPUT = date_input()


BLANK_CHOICE = ("", _("-请选择-"))  # the first option of every select (never Django's "---------")


def document_type_choices():
    """证件类型 grouped by 身份类型, so the select makes sense without scripts too."""
    groups = [
        (IDENTITY_TYPES[code], [(d.code, d.label) for d in DOCUMENT_TYPES.values()
                                if d.identity_type == code])
        for code in IDENTITY_TYPES
    ]
    return [BLANK_CHOICE] + groups


class DocumentTypeSelect(forms.Select):
    """Each option carries data-identity-type, so the page script can filter by 身份类型."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        doc = DOCUMENT_TYPES.get(str(value))
        if doc:
            option["attrs"]["data-identity-type"] = doc.identity_type
        return option


def identity_form_fields(prefix: str, label: str, *, validity: bool) -> dict:
    """身份类型, 证件类型, 证件号码 (and 证件有效期) fields named `<prefix>identity_type` etc."""
    fields = {
        f"{prefix}identity_type": forms.ChoiceField(
            label=holder_label(label, _("身份类型")),
            choices=IDENTITY_TYPE_CHOICES,
            initial="mainland",
            widget=forms.RadioSelect(attrs={"data-identity-type-for": f"id_{prefix}id_type"}),
        ),
        f"{prefix}id_type": forms.ChoiceField(
            label=holder_label(label, _("证件类型")),
            choices=document_type_choices,
            widget=DocumentTypeSelect,
            error_messages={"invalid_choice": _("未知的证件类型"), "required": _("请选择证件类型")},
        ),
        f"{prefix}id_number": forms.CharField(
            label=holder_label(label, _("证件号码")), max_length=40,
            error_messages={"required": _("请输入证件号码")},
        ),
    }
    if validity:
        fields.update({
            f"{prefix}id_valid_from": forms.DateField(
                label=holder_label(label, _("证件有效期起")), widget=DATE_INPUT,
                error_messages={"required": _("请输入证件有效期起始日期"), "invalid": _("日期格式应为 年-月-日")},
            ),
            f"{prefix}id_valid_to": forms.DateField(
                label=holder_label(label, _("证件有效期止")), required=False, widget=DATE_INPUT,
                error_messages={"invalid": _("日期格式应为 年-月-日")},
            ),
            f"{prefix}id_long_term": forms.BooleanField(label=_("长期有效"), required=False),
        })
    return fields


def clean_identity(form: forms.Form, prefix: str, *, validity: bool) -> None:
    """Check the document type against the identity type and the number against its type."""
    data = form.cleaned_data
    identity_type = data.get(f"{prefix}identity_type")
    id_type = data.get(f"{prefix}id_type")
    number = data.get(f"{prefix}id_number")
    if id_type and identity_type and DOCUMENT_TYPES[id_type].identity_type != identity_type:
        form.add_error(
            f"{prefix}id_type",
            _("身份类型为“%(identity_type)s”时不能选择“%(id_type)s”")
            % {"identity_type": IDENTITY_TYPES[identity_type], "id_type": DOCUMENT_TYPES[id_type].label},
        )
    elif id_type and number is not None:
        try:
            data[f"{prefix}id_number"] = validate_document(identity_type, id_type, number)
        except validators.InvalidIdentifier as exc:
            form.add_error(f"{prefix}id_number", str(exc))
    if validity:
        start = data.get(f"{prefix}id_valid_from")
        end = data.get(f"{prefix}id_valid_to")
        if data.get(f"{prefix}id_long_term"):
            data[f"{prefix}id_valid_to"] = None
        elif start and not end and f"{prefix}id_valid_to" not in form.errors:
            form.add_error(f"{prefix}id_valid_to", _("请输入证件有效期截止日期,或勾选长期有效"))
        elif start and end and end <= start:
            form.add_error(f"{prefix}id_valid_to", _("证件有效期截止日期应晚于起始日期"))
