"""The fields of one identity document on a form (身份类型, 证件类型, 证件号码, 证件有效期), shared by
registration, 我的信息 and the appeals, and their cross-field check."""

from django import forms
from django.utils.translation import gettext_lazy as _

from idp.accounts.models import DocumentFields, holder_label
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


# The form fields of one identity document, declared by name in each form (the holder — 法定代表人,
# 主代办人 — prefixes the label). clean_identity checks them together.

def identity_type_choice(document: DocumentFields, holder=""):
    return forms.ChoiceField(label=holder_label(holder, _("身份类型")), choices=IDENTITY_TYPE_CHOICES,
                             initial="mainland",
                             widget=forms.RadioSelect(attrs={"data-identity-type-for": f"id_{document.id_type}"}))


def id_type_choice(holder=""):
    return forms.ChoiceField(label=holder_label(holder, _("证件类型")), choices=document_type_choices,
                             widget=DocumentTypeSelect,
                             error_messages={"invalid_choice": _("未知的证件类型"), "required": _("请选择证件类型")})


def id_number_input(holder=""):
    return forms.CharField(label=holder_label(holder, _("证件号码")), max_length=40,
                           error_messages={"required": _("请输入证件号码")})


def valid_from_input(holder=""):
    return forms.DateField(label=holder_label(holder, _("证件有效期起")), widget=DATE_INPUT,
                           error_messages={"required": _("请输入证件有效期起始日期"),
                                           "invalid": _("日期格式应为 年-月-日")})


def valid_to_input(holder=""):
    return forms.DateField(label=holder_label(holder, _("证件有效期止")), required=False, widget=DATE_INPUT,
                           error_messages={"invalid": _("日期格式应为 年-月-日")})


def long_term_check():
    return forms.BooleanField(label=_("长期有效"), required=False)


def identity_widgets(document: DocumentFields) -> dict:
    """The widgets of a document's model fields on a ModelForm (我的信息)."""
    return {
        document.identity_type: forms.RadioSelect,
        document.id_type: DocumentTypeSelect(choices=document_type_choices()),
        document.id_number: forms.TextInput,
        document.valid_from: DATE_INPUT,
        document.valid_to: DATE_INPUT,
    }


def clean_identity(form: forms.Form, document: DocumentFields, *, validity: bool) -> None:
    """Check the document type against the identity type and the number against its type."""
    data = form.cleaned_data
    identity_type = data.get(document.identity_type)
    id_type = data.get(document.id_type)
    number = data.get(document.id_number)
    if id_type and identity_type and DOCUMENT_TYPES[id_type].identity_type != identity_type:
        form.add_error(
            document.id_type,
            _("身份类型为“%(identity_type)s”时不能选择“%(id_type)s”")
            % {"identity_type": IDENTITY_TYPES[identity_type], "id_type": DOCUMENT_TYPES[id_type].label},
        )
    elif id_type and number is not None:
        try:
            data[document.id_number] = validate_document(identity_type, id_type, number)
        except validators.InvalidIdentifier as exc:
            form.add_error(document.id_number, str(exc))
    if validity:
        start, end = data.get(document.valid_from), data.get(document.valid_to)
        if data.get(document.long_term):
            data[document.valid_to] = None
        elif start and not end and document.valid_to not in form.errors:
            form.add_error(document.valid_to, _("请输入证件有效期截止日期,或勾选长期有效"))
        elif start and end and end <= start:
            form.add_error(document.valid_to, _("证件有效期截止日期应晚于起始日期"))
