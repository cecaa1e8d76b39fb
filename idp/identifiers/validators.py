"""Validation of identity numbers, credit codes and phone numbers.

Every function takes what a user typed, normalises it (trims ASCII and ideographic
spaces, upper-cases letters) and returns the normalised value, or raises
InvalidIdentifier with a message that says what is wrong. Only ASCII digits count as
digits: full-width digits, inner spaces and masked values (`*`) are refused.
"""

import re
import unicodedata
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from idp.core.errors import Refused


class InvalidIdentifier(Refused, ValueError):
    """The value is not a valid identifier of the kind asked for."""


# --- normalisation ---------------------------------------------------------------------

_TRIM = " \t\r\n\u3000"
_INNER_SPACE = re.compile("[ \t\r\n\u3000]")
_FULL_WIDTH = re.compile("[\uff10-\uff5a]")


def normalise(value: str) -> str:
    """Trim spaces (including U+3000) at both ends and upper-case ASCII letters."""
    if not isinstance(value, str):
        raise InvalidIdentifier(_("请输入号码"))
    value = value.strip(_TRIM)
    if not value:
        raise InvalidIdentifier(_("请输入号码"))
    if "*" in value:
        raise InvalidIdentifier(_("请输入完整号码,不能包含 * 号"))
    if _INNER_SPACE.search(value):
        raise InvalidIdentifier(_("号码中不能有空格"))
    if _FULL_WIDTH.search(value):
        raise InvalidIdentifier(_("请使用半角字符输入,不能使用全角数字或字母"))
    return value.upper()


# --- GB 11643-1999 citizen identity number (and the layouts that share it) --------------

_MOD11_2_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 ...
_MOD11_2_CHARS = "10X98765432"

# Province-level codes of mainland residents (GB/T 2260); 71 Taiwan, 81/82 HK/Macau are not
# issued on mainland resident cards (they appear on residence permits, 83 for Taiwan).
MAINLAND_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65".split()
)


def mod11_2_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character over 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _MOD11_2_WEIGHTS, strict=True))
    return _MOD11_2_CHARS[total % 11]


def _check_birth_date(digits: str) -> date:
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidIdentifier(_("号码中的出生日期不是有效日期")) from None
    # The platform's zone, not the active one: the same answer for a form and the legacy import
    # (which checks a million numbers, and a look-up of the active zone costs more than the rest).
    if born > datetime.now(timezone.get_default_timezone()).date():
        raise InvalidIdentifier(_("号码中的出生日期晚于今天"))
    if born.year < 1900:
        raise InvalidIdentifier(_("号码中的出生日期早于 1900 年"))
    return born


_ID18 = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)


def _gb11643(value: str, what: str) -> str:
    value = normalise(value)
    if re.fullmatch(r"[0-9]{15}", value, re.ASCII):
        raise InvalidIdentifier(_("%(what)s不接受 15 位旧号码,请输入 18 位号码") % {"what": what})
    if len(value) != 18:
        raise InvalidIdentifier(_("%(what)s应为 18 位") % {"what": what})
    if not _ID18.fullmatch(value):
        raise InvalidIdentifier(_("%(what)s前 17 位应为数字,最后一位为数字或 X") % {"what": what})
    _check_birth_date(value[6:14])
    if mod11_2_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier(_("%(what)s校验位错误,请核对号码") % {"what": what})
    return value


def resident_id(value: str) -> str:
    """Mainland resident identity card number (居民身份证), GB 11643-1999."""
    number = _gb11643(value, _("居民身份证号码"))
    if number[:2] not in MAINLAND_PROVINCES:
        raise InvalidIdentifier(_("居民身份证号码的地区码无效"))
    return number


HMT_RESIDENCE_PREFIXES = ("810000", "820000", "830000")


def hmt_residence_permit(value: str) -> str:
    """港澳台居民居住证: the GB 11643 layout with area 810000 (HK), 820000 (Macau), 830000 (Taiwan)."""
    number = _gb11643(value, _("港澳台居民居住证号码"))
    if not number.startswith(HMT_RESIDENCE_PREFIXES):
        raise InvalidIdentifier(_("港澳台居民居住证号码应以 810000、820000 或 830000 开头"))
    return number


def foreign_permanent_residence(value: str) -> str:
    """外国人永久居留身份证: new 18-digit form starting with 9 (MOD 11-2), or old 3 letters + 12 digits."""
    number = normalise(value)
    if re.fullmatch(r"[A-Z]{3}[0-9]{12}", number, re.ASCII):
        return number
    if len(number) == 18 and number.startswith("9"):
        if not _ID18.fullmatch(number):
            raise InvalidIdentifier(_("外国人永久居留身份证号码前 17 位应为数字"))
        _check_birth_date(number[6:14])
        if mod11_2_check_char(number[:17]) != number[17]:
            raise InvalidIdentifier(_("外国人永久居留身份证号码校验位错误,请核对号码"))
        return number
    raise InvalidIdentifier(_("外国人永久居留身份证号码应为以 9 开头的 18 位号码,或 3 个字母加 12 位数字"))


def _matching(value: str, pattern: str, message: str) -> str:
    """The normalised number if it matches `pattern` whole, else InvalidIdentifier(message)."""
    number = normalise(value)
    if not re.fullmatch(pattern, number, re.ASCII):
        raise InvalidIdentifier(message)
    return number


def hk_macau_permit(value: str) -> str:
    """港澳居民来往内地通行证: H or M, 8 digits, optionally 2 renewal digits."""
    return _matching(value, r"[HM][0-9]{8}([0-9]{2})?",
                     _("港澳居民来往内地通行证号码应为 H 或 M 加 8 位数字(可再加 2 位换证次数)"))


def taiwan_permit(value: str) -> str:
    """台湾居民来往大陆通行证: 8 digits (10 digits for old numbers)."""
    return _matching(value, r"[0-9]{8}([0-9]{2})?", _("台湾居民来往大陆通行证号码应为 8 位数字(旧证 10 位)"))


def passport(value: str) -> str:
    """Passport number: 5 to 17 letters and digits."""
    return _matching(value, r"[A-Z0-9]{5,17}", _("护照号码应为 5 至 17 位字母或数字"))


def mobile(value: str) -> str:
    """Mainland mobile number: 1, then 3–9, then 9 digits."""
    return _matching(value, r"1[3-9][0-9]{9}", _("请输入 11 位中国大陆手机号码"))


# --- GB 32100-2015 unified social credit code -------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I O Z S V
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_SHAPE = re.compile("[0-9A-HJ-NPQRTUWXY]{18}")
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 ...
_ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]

# Registration authority → the institution categories it may issue (GB 32100-2015 and
# the codes added since: 司法行政, 文化, 旅游, 宗教, 工会, 军队, 农业).
# GB 32100-2015 appendix A with its amendments (A 中央军委改革和编制办公室, N 农业) and the
# Ministry of Civil Affairs' 2018 codes for 基层群众性自治组织特别法人 (民政 4 村民委员会, 5 居民委员会).
USCC_AUTHORITY_CATEGORIES = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办管理的群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "123459",  # 民政: 社会团体, 民办非企业单位(社会服务机构), 基金会, 村民委员会, 居民委员会, 其他
    "6": "129",  # 旅游
    "7": "129",  # 宗教
    "8": "19",  # 工会
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室
    "N": "1239",  # 农业
    "Y": "1",  # 其他
}
USCC_PROVINCES = MAINLAND_PROVINCES | {"10"}  # 10xxxx: central (national) level


def organisation_code_check_char(body8: str) -> str:
    """GB 11714-1997 organisation code check character over 8 digits/letters."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character (mod 31) over the first 17 characters."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc(value: str) -> str:
    """Unified social credit code (统一社会信用代码), GB 32100-2015."""
    code = normalise(value)
    if len(code) != 18:
        raise InvalidIdentifier(_("统一社会信用代码应为 18 位"))
    bad = [] if _USCC_SHAPE.fullmatch(code) else sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise InvalidIdentifier(
            _("统一社会信用代码含有不允许的字符:") + " ".join(bad) + _("(不使用 I、O、Z、S、V)")
        )
    categories = USCC_AUTHORITY_CATEGORIES.get(code[0])
    if categories is None:
        raise InvalidIdentifier(_("统一社会信用代码第 1 位(登记管理部门代码)无效"))
    if code[1] not in categories:
        raise InvalidIdentifier(_("统一社会信用代码第 2 位(机构类别代码)与登记管理部门不符"))
    if not code[2:8].isdigit() or code[2:4] not in USCC_PROVINCES:
        raise InvalidIdentifier(_("统一社会信用代码第 3–8 位(登记管理机关行政区划码)无效"))
    if organisation_code_check_char(code[8:16]) != code[16]:
        raise InvalidIdentifier(_("统一社会信用代码第 9–17 位(组织机构代码)校验位错误"))
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidIdentifier(_("统一社会信用代码校验位错误,请核对代码"))
    return code


def login_name(value: str) -> str:
    """Login name: digits, letters and underscore (SPEC 2); case is kept, compared case-insensitively."""
    if not isinstance(value, str):
        raise InvalidIdentifier(_("请输入登录名"))
    name = value.strip(_TRIM)
    if not name:
        raise InvalidIdentifier(_("请输入登录名"))
    if not re.fullmatch(r"[A-Za-z0-9_]+", name, re.ASCII):
        raise InvalidIdentifier(_("登录名只能包含数字、字母和下划线"))
    if len(name) > 64:
        raise InvalidIdentifier(_("登录名不能超过 64 个字符"))
    return name


# --- names ----------------------------------------------------------------------------------

# Control, format (U+202E right-to-left override, zero-width characters), private-use,
# surrogate and line/paragraph separator characters: invisible, or they reorder what is shown.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def display_name(value: str) -> str:
    """A person's or organisation's name: trimmed, without invisible or reordering characters
    (nor U+FFFD, what a byte that was not text became)."""
    name = value.strip(_TRIM) if isinstance(value, str) else ""
    if any(unicodedata.category(char) in _INVISIBLE_CATEGORIES or char == "\ufffd" for char in name):
        raise InvalidIdentifier(_("名称中不能包含控制字符或不可见的格式字符,请重新输入"))
    return name
