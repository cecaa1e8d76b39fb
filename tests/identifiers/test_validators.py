"""Identifier validation: the standards' published examples, vectors whose check characters are
computed in the tests themselves (tests/check_digits.py, never with the validators), and the
ways to be wrong."""

import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from idp.identifiers import validators as v
from idp.identifiers.documents import validate_document
from idp.identifiers.masking import mask_id_number, mask_login_name, mask_phone
from tests import factories
from tests.check_digits import PUBLISHED, resident_id_check, uscc_check

RNG = random.Random(20261128)


@pytest.mark.parametrize("number", PUBLISHED["resident_id"])
def test_the_standards_own_resident_id_examples_are_valid(number):
    assert v.resident_id(number) == number
    assert v.mod11_2_check_char(number[:17]) == number[17]


@pytest.mark.parametrize("number", PUBLISHED["resident_id_old"])
def test_the_standards_example_born_before_1900_has_the_right_check_but_is_refused(number):
    assert v.mod11_2_check_char(number[:17]) == number[17]
    with pytest.raises(v.InvalidIdentifier, match="1900"):
        v.resident_id(number)


@pytest.mark.parametrize("code", PUBLISHED["uscc"])
def test_the_standards_own_uscc_example_is_valid(code):
    assert v.uscc(code) == code
    assert v.uscc_check_char(code[:17]) == code[17] and v.organisation_code_check_char(code[8:16]) == code[16]


def test_the_validators_check_characters_agree_with_the_standards_on_many_values():
    """A differential check: 5,000 random bodies, the validators' check characters against the ones
    written from the standards' text in tests/check_digits.py."""
    from tests.check_digits import USCC_ALPHABET, organisation_code_check

    rng = random.Random(7)
    for _ in range(5000):
        digits17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert v.mod11_2_check_char(digits17) == resident_id_check(digits17)
        body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        assert v.organisation_code_check_char(body) == organisation_code_check(body)
        first17 = "".join(rng.choice(USCC_ALPHABET) for _ in range(17))
        assert v.uscc_check_char(first17) == uscc_check(first17)


def _random_birth() -> date:
    return date(1930, 1, 1) + timedelta(days=RNG.randrange(0, 365 * 90))


VALID_RESIDENT_IDS = [
    factories.resident_id(area=f"{RNG.choice(sorted(v.MAINLAND_PROVINCES))}0105",
                          born=_random_birth(), seq=f"{RNG.randrange(1000):03d}")
    for _ in range(200)
]


def _wrong_check(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


@pytest.mark.parametrize("number", VALID_RESIDENT_IDS)
def test_generated_resident_ids_are_valid(number):
    """Every number built with the MOD 11-2 check passes."""
    assert v.resident_id(number) == number


@pytest.mark.parametrize("number", VALID_RESIDENT_IDS[:60])
def test_resident_id_with_any_other_check_char_fails(number):
    """Changing the check character is caught."""
    with pytest.raises(v.InvalidIdentifier, match="校验位"):
        v.resident_id(_wrong_check(number))


def test_resident_id_known_sample():
    """The GB 11643 sample number validates, with a lower-case x upper-cased."""
    assert v.resident_id("11010519491231002x") == "11010519491231002X"


def test_resident_id_normalises_ascii_and_ideographic_spaces():
    """Leading/trailing spaces, including U+3000, are trimmed."""
    assert v.resident_id("\u3000 11010519491231002X \u3000") == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105491231002", "15 位"),
        ("11010519491231002", "18 位"),
        ("1101051949123100211", "18 位"),
        ("110105 19491231002X", "空格"),
        ("１１０１０５１９４９１２３１００２Ｘ", "全角"),
        ("******19491231002X", "完整号码"),
        ("11010519491231002*", "完整号码"),
        ("1101051949123100AX", "前 17 位"),
        ("", "请输入"),
        ("   ", "请输入"),
    ],
)
def test_resident_id_malformed(value, message):
    """Malformed numbers get a message naming the problem."""
    with pytest.raises(v.InvalidIdentifier, match=message):
        v.resident_id(value)


@pytest.mark.parametrize("born", ["19490230", "19491301", "20230229", "18991231"])
def test_resident_id_impossible_birth_dates(born):
    """Dates that do not exist, or before 1900, are refused even with a right check char."""
    first17 = "110105" + born + "001"
    with pytest.raises(v.InvalidIdentifier, match="出生日期"):
        v.resident_id(first17 + resident_id_check(first17))


def test_resident_id_future_birth_date():
    """A birth date after today is refused."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    number = factories.resident_id(born=tomorrow, seq="001")
    with pytest.raises(v.InvalidIdentifier, match="晚于今天"):
        v.resident_id(number)


@pytest.mark.parametrize("area", ["710000", "810000", "000000", "990101"])
def test_resident_id_non_mainland_area(area):
    """Area codes that are not mainland provinces are refused on a resident card."""
    with pytest.raises(v.InvalidIdentifier, match="地区码"):
        v.resident_id(factories.resident_id(area=area, seq="001"))


@pytest.mark.parametrize("prefix", v.HMT_RESIDENCE_PREFIXES)
def test_hmt_residence_permits(prefix):
    """810000/820000/830000 with a right check character pass; a wrong one fails."""
    for _ in range(20):
        number = factories.resident_id(area=prefix, born=_random_birth(),
                                       seq=f"{RNG.randrange(1000):03d}")
        assert v.hmt_residence_permit(number) == number
        with pytest.raises(v.InvalidIdentifier, match="校验位"):
            v.hmt_residence_permit(_wrong_check(number))


def test_hmt_residence_permit_needs_hmt_prefix():
    """A mainland resident number is not a residence permit number."""
    with pytest.raises(v.InvalidIdentifier, match="810000"):
        v.hmt_residence_permit("11010519491231002X")


def test_foreign_permanent_residence_new_and_old_forms():
    """New 18-digit form starting with 9 (MOD 11-2 check) and old 3 letters + 12 digits."""
    for _ in range(50):
        number = factories.resident_id(area=f"9{RNG.randrange(10, 99)}{RNG.randrange(100, 999)}",
                                       born=_random_birth(), seq=f"{RNG.randrange(1000):03d}")
        assert v.foreign_permanent_residence(number) == number
        with pytest.raises(v.InvalidIdentifier, match="校验位"):
            v.foreign_permanent_residence(_wrong_check(number))
    assert v.foreign_permanent_residence("usa110185061234") == "USA110185061234"
    for bad in ["US1110185061234", "USA11018506123", "810000199001010012", "9" * 19]:
        with pytest.raises(v.InvalidIdentifier):
            v.foreign_permanent_residence(bad)


@pytest.mark.parametrize("good", ["H12345678", "M12345678", "h1234567801", "M1234567802"])
def test_hk_macau_permit_valid(good):
    """H or M, 8 digits, optionally 2 renewal digits."""
    assert v.hk_macau_permit(good) == good.upper()


@pytest.mark.parametrize("bad", ["K12345678", "H1234567", "H123456789", "H12345678901", "12345678",
                                 "H１2345678"])
def test_hk_macau_permit_invalid(bad):
    with pytest.raises(v.InvalidIdentifier):
        v.hk_macau_permit(bad)


@pytest.mark.parametrize("good", ["12345678", "1234567890"])
def test_taiwan_permit_valid(good):
    """8 digits, or 10 for old numbers."""
    assert v.taiwan_permit(good) == good


@pytest.mark.parametrize("bad", ["1234567", "123456789", "12345678901", "T1234567", "1234 5678"])
def test_taiwan_permit_invalid(bad):
    with pytest.raises(v.InvalidIdentifier):
        v.taiwan_permit(bad)


@pytest.mark.parametrize("good", ["E12345", "g1234567", "P1234567890123456", "12345"])
def test_passport_valid(good):
    """5 to 17 letters or digits."""
    assert v.passport(good) == good.upper()


@pytest.mark.parametrize("bad", ["E123", "P12345678901234567", "E12-345", "E12 345", "E12345*"])
def test_passport_invalid(bad):
    with pytest.raises(v.InvalidIdentifier):
        v.passport(bad)


def test_mobile_all_valid_prefixes():
    """1 then 3–9 then 9 ASCII digits."""
    for second in "3456789":
        number = f"1{second}{RNG.randrange(10**9):09d}"
        assert v.mobile(number) == number


@pytest.mark.parametrize("bad", ["12012345678", "10012345678", "1381234567", "138123456789",
                                 "１３８１２３４５６７８", "138 1234 5678", "138****5678", "+8613812345678",
                                 "1381234567a"])
def test_mobile_invalid(bad):
    with pytest.raises(v.InvalidIdentifier):
        v.mobile(bad)


VALID_USCCS = [factories.random_uscc(RNG) for _ in range(200)]


@pytest.mark.parametrize("code", VALID_USCCS)
def test_generated_usccs_are_valid(code):
    """Codes built with both checks (GB 11714 and mod 31) pass."""
    assert v.uscc(code) == code


def test_uscc_real_world_samples():
    """The manual's example and other published codes validate; lower case is upper-cased."""
    for code in ["91110108MA01ET88XL", "91350100M000100Y43", "91110108ma01et88xl"]:
        assert v.uscc(code) == code.upper()


@pytest.mark.parametrize("code", VALID_USCCS[:60])
def test_uscc_any_other_check_char_fails(code):
    """Every other check character of the alphabet is refused."""
    for other in v.USCC_ALPHABET:
        if other != code[17]:
            with pytest.raises(v.InvalidIdentifier, match="校验位"):
                v.uscc(code[:17] + other)


@pytest.mark.parametrize("code", VALID_USCCS[:30])
def test_uscc_broken_organisation_code(code):
    """A wrong organisation-code check (position 17) is caught even with a re-computed mod-31 check."""
    wrong = next(c for c in "0123456789X" if c != code[16])
    first17 = code[:16] + wrong
    with pytest.raises(v.InvalidIdentifier, match="组织机构代码"):
        v.uscc(first17 + uscc_check(first17))


@pytest.mark.parametrize("letter", "IOZSV")
def test_uscc_forbidden_letters(letter):
    """I O Z S V are not in the alphabet."""
    with pytest.raises(v.InvalidIdentifier, match=letter):
        v.uscc("91110108MA01ET88X" + letter)


@pytest.mark.parametrize(("authority", "category"), [("9", "4"), ("5", "6"), ("3", "6"), ("Y", "2"),
                                                     ("B", "1"), ("0", "1")])
def test_uscc_invalid_authority_category_pairs(authority, category):
    """Only the registration-authority/category pairs of the standard are accepted."""
    code = factories.uscc(authority=authority if authority != "B" else "9", category="1")
    first17 = authority + category + code[2:17]
    with pytest.raises(v.InvalidIdentifier, match="登记管理部门|机构类别"):
        v.uscc(first17 + uscc_check(first17))


def test_uscc_every_listed_pair_is_accepted():
    """All pairs of the table are accepted."""
    for authority, categories in v.USCC_AUTHORITY_CATEGORIES.items():
        for category in categories:
            code = factories.uscc(authority=authority, category=category)
            assert v.uscc(code) == code


@pytest.mark.parametrize("bad", ["91110108MA01ET88X", "91110108MA01ET88XLL", "9111 0108MA01ET88X",
                                 "91110108MA01ET88*L", "９1110108MA01ET88XL", "91990108MA01ET88XL"])
def test_uscc_malformed(bad):
    with pytest.raises(v.InvalidIdentifier):
        v.uscc(bad)


@pytest.mark.parametrize("good", ["abc", "ABC_123", "_", "a" * 64, "Zhang_San2024"])
def test_login_name_valid(good):
    """Digits, letters, underscore; case kept."""
    assert v.login_name(good) == good


@pytest.mark.parametrize("bad", ["", "a b", "张三", "a-b", "a.b", "a@b", "ａbc", "a" * 65])
def test_login_name_invalid(bad):
    with pytest.raises(v.InvalidIdentifier):
        v.login_name(bad)


def test_document_type_must_match_identity_type():
    """A passport is not a mainland document; an unknown type is named as such."""
    with pytest.raises(v.InvalidIdentifier, match="不能选择"):
        validate_document("mainland", "passport", "E12345678")
    with pytest.raises(v.InvalidIdentifier, match="未知的证件类型"):
        validate_document("mainland", "driving_licence", "123")
    assert validate_document("other", "passport", "e12345678") == "E12345678"


def test_masking():
    """Identity numbers keep the last four, phones the first two and last three."""
    assert mask_id_number("11010519491231271X") == "******271X"
    assert mask_phone("13812345656") == "13*****656"
    assert mask_login_name("demo_person") == "de***on" and mask_login_name("abc") == "a***"
    assert mask_id_number("") == "" and mask_phone(None) == ""


@pytest.mark.parametrize(("authority", "categories"), [
    ("1", "1239"), ("2", "19"), ("3", "123459"), ("4", "19"), ("5", "123459"), ("6", "129"), ("7", "129"),
    ("8", "19"), ("9", "123"), ("A", "19"), ("N", "1239"), ("Y", "1"),
])
def test_uscc_table_is_the_standard_s(authority, categories):
    """GB 32100-2015 appendix A and its amendments, spelled out (issue 11): every category of
    the standard is accepted, and nothing else — 司法行政 has no category 6."""
    assert v.USCC_AUTHORITY_CATEGORIES[authority] == categories
    for category in "123456789":
        code = factories.uscc(authority=authority, category=category)
        if category in categories:
            assert v.uscc(code) == code
        else:
            with pytest.raises(v.InvalidIdentifier, match="机构类别"):
                v.uscc(code)
