"""Check characters computed in the tests themselves, written from the standards' own text — never
with idp.identifiers, so a wrong algorithm there cannot pass the tests that use these.

- GB 11643-1999 (居民身份证号码): ISO 7064 MOD 11-2 over the first 17 digits.
- GB 11714-1997 (组织机构代码): weights 3,7,9,10,5,8,4,2; letters count 10 (A) to 35 (Z);
  11 − (sum mod 11), with 10 written X and 11 written 0.
- GB 32100-2015 (统一社会信用代码): 31-character alphabet without I, O, S, V, Z; weights 3^i mod 31;
  31 − (sum mod 31), with 31 written 0.

PUBLISHED are the standards' own examples (and the platform's demo data, checked against them).
"""

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

PUBLISHED = {
    # GB 11643-1999's examples: the first is a valid number; the second, born in 1880, has a right
    # check character but a birth date the platform refuses (before 1900).
    "resident_id": ["11010519491231002X"],
    "resident_id_old": ["440524188001010014"],
    "uscc": ["91350100M000100Y43"],  # GB 32100-2015, its example
}


def resident_id_check(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def organisation_code_check(first8: str) -> str:
    total = sum((int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w
                for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]
