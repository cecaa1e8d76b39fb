"""Image captcha (django-simple-captcha), single use, with distinct messages.

With IDP_CAPTCHA=fixed:<answer> (allowed only with IDP_ALLOW_TEST_HOOKS=1, checked at
start-up) every captcha accepts <answer>; the image is still generated and still single-use.
"""

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

MESSAGES = {
    "required": "请输入图片中的验证码",
    "wrong": "验证码错误,请重新输入",
    "expired": "验证码已过期,请输入新的验证码",
    "used": "验证码已使用或已失效,请输入新的验证码",
}


class CaptchaInput(CaptchaTextInput):
    template_name = "core/captcha_widget.html"


class PlatformCaptchaField(CaptchaField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "验证码")
        kwargs.setdefault("widget", CaptchaInput(attrs={"autocomplete": "off"}))
        kwargs.setdefault("error_messages", {"required": MESSAGES["required"]})
        super().__init__(**kwargs)

    def clean(self, value):
        if not value or not value[1] or not value[1].strip():
            raise ValidationError(MESSAGES["required"], code="required")
        hashkey, response = value[0], value[1].strip().lower()
        # Clear the typed answer: a re-rendered form gets a new image and an empty box.
        value[1] = ""
        store = CaptchaStore.objects.filter(hashkey=hashkey).first()
        if store is None:
            raise ValidationError(MESSAGES["used"], code="used")
        # One attempt per image, right or wrong — and only the request whose delete removed the
        # row may use it (two parallel requests cannot spend one solved captcha).
        deleted, _ = CaptchaStore.objects.filter(pk=store.pk).delete()
        if not deleted:
            raise ValidationError(MESSAGES["used"], code="used")
        if store.expiration <= timezone.now():
            raise ValidationError(MESSAGES["expired"], code="expired")
        mode = settings.IDP_CAPTCHA
        expected = mode.removeprefix("fixed:").lower() if mode.startswith("fixed:") else store.response
        if response != expected:
            raise ValidationError(MESSAGES["wrong"], code="wrong")
        return value
