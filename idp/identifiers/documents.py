"""Identity types (身份类型) and the document types (证件类型) each allows (SPEC 2.1).

The codes are the API's `id_type` values (docs/platform.md, "Document type codes").
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.identifiers import validators


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: str
    identity_type: str
    validate: Callable[[str], str]


IDENTITY_TYPES = {
    "mainland": gettext_lazy("中华人民共和国大陆地区"),
    "hmt": gettext_lazy("中华人民共和国港、澳、台地区"),
    "other": gettext_lazy("其他"),
}

DOCUMENT_TYPES = {
    d.code: d
    for d in (
        DocumentType("resident_id", gettext_lazy("居民身份证"), "mainland", validators.resident_id),
        DocumentType("hk_macau_permit", gettext_lazy("港澳居民来往内地通行证"), "hmt", validators.hk_macau_permit),
        DocumentType("taiwan_permit", gettext_lazy("台湾居民来往大陆通行证"), "hmt", validators.taiwan_permit),
        DocumentType(
            "hmt_residence_permit", gettext_lazy("港澳台居民居住证"), "hmt", validators.hmt_residence_permit
        ),
        DocumentType(
            "foreign_permanent_residence",
            gettext_lazy("外国人永久居留身份证"),
            "other",
            validators.foreign_permanent_residence,
        ),
        DocumentType("passport", gettext_lazy("护照"), "other", validators.passport),
    )
}

IDENTITY_TYPE_CHOICES = list(IDENTITY_TYPES.items())
DOCUMENT_TYPE_CHOICES = [(d.code, d.label) for d in DOCUMENT_TYPES.values()]


def document_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        raise validators.InvalidIdentifier(_("未知的证件类型")) from None


def validate_document(identity_type: str | None, id_type: str, number: str) -> str:
    """The normalised number, after checking the type pair and the number itself."""
    doc = document_type(id_type)
    if identity_type is not None and doc.identity_type != identity_type:
        raise validators.InvalidIdentifier(
            _("身份类型为“%(identity_type)s”时不能选择“%(id_type)s”")
            % {"identity_type": IDENTITY_TYPES.get(identity_type, identity_type), "id_type": doc.label}
        )
    return doc.validate(number)
