"""Manual-verification uploads: checked by content, kept privately (encrypted, in the
database) under random names."""

import base64
import io
import secrets

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from idp.core.errors import Refused
from idp.realname.models import PrivateDocument, Slot

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
# Organisation documents may also be scanned PDFs (a licence with its seal).
PDF_SLOTS = {Slot.ORG_CERTIFICATE, Slot.LR_DOCUMENT, Slot.OTHER}
Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs well before memory suffers


class InvalidUpload(Refused):
    """What is wrong with one file."""


class InvalidUploads(Refused):
    """What is wrong with each file of a form, all at once: `errors` maps the field (slot or
    side) to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()), code="invalid_uploads")
        self.errors = errors


def check_all(files: dict, slot_of=lambda field: field) -> dict:
    """check_upload() of every given file: {field: (bytes, content type, original name)}, or
    InvalidUploads naming every file that is wrong. A missing file (None) is named as missing."""
    checked, errors = {}, {}
    for field, (uploaded, label) in files.items():
        if uploaded is None:
            errors[field] = _("请上传%(document)s") % {"document": label}
            continue
        try:
            checked[field] = (*check_upload(slot_of(field), uploaded), uploaded.name)
        except InvalidUpload as error:
            errors[field] = str(error)
    if errors:
        raise InvalidUploads(errors)
    return checked


def allowed_types(slot: str) -> str:
    return _("JPG、PNG 图片或 PDF 文件") if slot in PDF_SLOTS else _("JPG、PNG 图片")


def check_upload(slot: str, uploaded) -> tuple[bytes, str]:
    """The file's bytes and its real content type, or InvalidUpload.

    The type comes from the content (image decoded by Pillow; PDF header and trailer),
    never from the file name or the browser's Content-Type.
    """
    limit = settings.IDP_UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        size = f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit / (1024 * 1024):g} MB"
        raise InvalidUpload(_("文件大小不能超过 %(size)s") % {"size": size})
    if uploaded.size == 0:
        raise InvalidUpload(_("文件是空的,请重新选择"))
    data = uploaded.read()
    if data.startswith(b"%PDF-") and slot in PDF_SLOTS:
        if b"%%EOF" not in data[-2048:]:
            raise InvalidUpload(_("PDF 文件不完整,请重新扫描后上传"))
        return data, "application/pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if width * height > settings.IDP_UPLOAD_MAX_PIXELS:  # a tiny file can claim a huge canvas
                raise InvalidUpload(_("图片尺寸过大(%(width)s×%(height)s),请缩小后重新上传")
                                    % {"width": width, "height": height})
            image.verify()  # walks the whole file: truncated or corrupt images fail here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidUpload(_("文件类型不符或文件已损坏,请上传%(types)s") % {"types": allowed_types(slot)}) from None
    if kind not in IMAGE_TYPES:
        raise InvalidUpload(_("文件类型不符,请上传%(types)s") % {"types": allowed_types(slot)})
    return data, IMAGE_TYPES[kind]


def store(data: bytes) -> str:
    """Keep `data` under a new random name, in the caller's transaction; returns the name."""
    name = secrets.token_hex(16)
    PrivateDocument.objects.create(name=name, content=base64.b64encode(data).decode())
    return name


def read(name: str) -> bytes | None:
    document = PrivateDocument.objects.filter(name=name).first()
    return base64.b64decode(document.content) if document else None


def private_file_response(storage_name: str, content_type: str) -> HttpResponse:
    """A privately stored upload, inline, never cached, never sniffed or scripted."""
    data = read(storage_name)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
