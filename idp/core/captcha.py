"""Image captcha (django-simple-captcha), single use, with distinct messages.

With IDP_CAPTCHA=fixed:<answer> (allowed only with IDP_ALLOW_TEST_HOOKS=1, checked at
start-up) every captcha accepts <answer>; the image is still generated and still single-use.
"""

from datetime import UTC, datetime

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "required": _("请输入图片中的验证码"),
    "wrong": _("验证码错误,请重新输入"),
    "expired": _("验证码已过期,请输入新的验证码"),
    "used": _("验证码已使用或已失效,请输入新的验证码"),
}


class CaptchaInput(CaptchaTextInput):
    template_name = "core/captcha_widget.html"


class PlatformCaptchaField(CaptchaField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("验证码"))
        kwargs.setdefault("widget", CaptchaInput(attrs={"autocomplete": "off"}))
        kwargs.setdefault("error_messages", {"required": MESSAGES["required"]})
        super().__init__(**kwargs)

    def clean(self, value):
        if not value or not value[1] or not value[1].strip():
            raise ValidationError(MESSAGES["required"], code="required")
        hashkey, response = value[0], value[1].strip().lower()
        # Clear the typed answer: a re-rendered form gets a new image and an empty box.
        value[1] = ""
        spent = _spend(hashkey)
        if spent is None:
            raise ValidationError(MESSAGES["used"], code="used")
        stored_response, expiration = spent
        if expiration <= timezone.now():
            raise ValidationError(MESSAGES["expired"], code="expired")
        mode = settings.IDP_CAPTCHA
        expected = mode.removeprefix("fixed:").lower() if mode.startswith("fixed:") else stored_response
        if response != expected:
            raise ValidationError(MESSAGES["wrong"], code="wrong")
        return value


def _spend(hashkey: str) -> tuple[str, datetime] | None:
    """Delete the captcha and return (answer, expiry), or None if it is unknown or already spent.
    One attempt per image, right or wrong — and only the request whose delete removed the row
    may use it (two parallel requests cannot spend one solved captcha). One statement, not a
    read and an ORM delete: it is on every login."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CaptchaStore._meta.db_table} WHERE hashkey = %s RETURNING response, expiration",
                       [hashkey])
        row = cursor.fetchone()
    if row is None:
        return None
    expiration = row[1]
    if isinstance(expiration, str):  # SQLite
        expiration = parse_datetime(expiration)
    if timezone.is_naive(expiration):
        expiration = timezone.make_aware(expiration, UTC)
    return row[0], expiration
