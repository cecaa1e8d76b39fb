"""Masked forms of identity and phone numbers for display (SPEC 9)."""


def mask_id_number(value: str | None) -> str:
    """`******271X`: six stars and the last four characters."""
    if not value:
        return ""
    return "******" + value[-4:]


def mask_phone(value: str | None) -> str:
    """`13*****656`: the first two digits, five stars, the last three — the one rule for every
    phone on every page, exactly as the manual and SPEC 5.1 show it. The stars are a fixed-width
    mark, not a count: every mainland mobile has 11 digits, so the width tells nothing."""
    if not value:
        return ""
    if len(value) < 6:
        return "*" * len(value)
    return value[:2] + "*****" + value[-3:]


def mask_login_name(value: str | None) -> str:
    """`de***on`: enough for the owner to recognise the account, not enough to harvest names."""
    if not value:
        return ""
    if len(value) <= 4:
        return value[0] + "***"
    return value[:2] + "***" + value[-2:]
