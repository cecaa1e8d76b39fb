"""The password rule of SPEC 2: at least 8 characters and 3 of the 4 character classes."""

from django.core.exceptions import ValidationError

RULE = "密码至少 8 位,且至少包含大写字母、小写字母、数字、特殊符号中的 3 种"


def character_classes(password: str) -> int:
    classes = [
        any("A" <= c <= "Z" for c in password),
        any("a" <= c <= "z" for c in password),
        any("0" <= c <= "9" for c in password),
        any(not c.isalnum() and c.isprintable() and c.isascii() for c in password),
    ]
    return sum(classes)


def check_password_rule(password: str) -> None:
    if len(password) < 8 or character_classes(password) < 3:
        raise ValidationError(RULE, code="password_rule")


class PlatformPasswordValidator:
    def validate(self, password, user=None):
        check_password_rule(password)

    def get_help_text(self):
        return RULE
