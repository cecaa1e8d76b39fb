"""The case rules of SPEC 7.2 (enterprises) and 7.3 (persons), as one pure function.

`decide()` looks only at a `PlatformView` — what the platform already holds — so it can be
tested case by case and fed, batch by batch, from a handful of set-based queries.
"""

from dataclasses import dataclass, field

ENTERPRISE, PERSON = "enterprise", "person"
LEGAL, NATURAL = "legal", "natural"
UNCHANGED, OWN, APPEAL = "unchanged", "own", "appeal"
PREFIX = "HJ_"


@dataclass(frozen=True)
class Holder:
    """An existing account, as far as the rules care."""

    login_name: str
    kind: str  # LEGAL or NATURAL
    phone: str = ""
    pk: int | None = None


@dataclass
class PlatformView:
    """What the platform holds for the keys of a batch.

    holders:           lower-cased login name → Holder
    legal_by_uscc:     USCC → Holder of the legal-person account registered with it
    verified_phones:   reserved phones of verified natural persons
    """

    holders: dict = field(default_factory=dict)
    legal_by_uscc: dict = field(default_factory=dict)
    verified_phones: set = field(default_factory=set)

    def holder(self, login_name: str) -> Holder | None:
        return self.holders.get(login_name.lower())


@dataclass(frozen=True)
class Decision:
    case: str  # R1 … R4
    login_name: str | None  # the name to log in with
    account_type: str | None  # LEGAL / NATURAL / None (no account)
    password: str  # UNCHANGED / OWN / APPEAL
    create: bool  # a new account is made
    existing: Holder | None = None  # the kept account (R2), or the granting legal account (enterprise R4)
    note: str = ""

    @property
    def login_window(self) -> str | None:
        return self.account_type


class NameTaken(Exception):
    """The login name a case needs is itself taken: reported, never overwritten."""


def decide_enterprise(uscc: str, view: PlatformView) -> Decision:
    """SPEC 7.2 for a legacy enterprise whose login name is its USCC `u` (= `uscc`).

    account named u             | legal account for u under another name | HJ_u taken | case
    ----------------------------+----------------------------------------+------------+-----------------
    none                        | no                                     | —          | R1  legal u
    none                        | yes                                    | —          | R4  natural u + grants
    legal, its USCC is u        | (cannot be: one legal account per USCC)| —          | R2  keep it, own password
    legal, another USCC         | no                                     | no / yes   | R3  legal HJ_u / exception
    natural                     | no                                     | no / yes   | R3  legal HJ_u / exception
    legal another USCC, natural | yes                                    | —          | exception (R4 needs u)

    R2 means the enterprise's *own* account: an account named u that belongs to another
    organisation is a collision like a natural person's, never "log in there".
    """
    holder = view.holder(uscc)
    legal = view.legal_by_uscc.get(uscc)
    if holder is not None and holder.kind == LEGAL and legal is not None and legal.pk == holder.pk:
        return Decision("R2", holder.login_name, LEGAL, OWN, create=False, existing=holder,
                        note="平台已有以统一社会信用代码为登录名的本企业法人账号,继续使用该账号和平台密码")
    if legal is not None:
        if holder is not None:
            raise NameTaken(f"R4:登录名 {uscc} 已被其他账号占用,无法创建代办自然人账号")
        return Decision("R4", uscc, NATURAL, UNCHANGED, create=True, existing=legal,
                        note="企业已有法人账号(登录名不是统一社会信用代码):原账号转为自然人账号并获得高企认定、科小企评价授权")
    if holder is not None:
        name = PREFIX + uscc
        if view.holder(name) is not None:
            raise NameTaken(f"R3:登录名 {uscc} 与 {name} 均已被占用")
        return Decision("R3", name, LEGAL, UNCHANGED, create=True,
                        note="统一社会信用代码已被他人注册为登录名,法人账号登录名加 HJ_ 前缀")
    return Decision("R1", uscc, LEGAL, UNCHANGED, create=True, note="继续使用原用户名和密码")


def decide_person(mobile: str, view: PlatformView) -> Decision:
    """SPEC 7.3 for a legacy person whose login name is the mobile number `p` (= `mobile`).

    account named p                      | HJ_p taken | a verified account owns phone p | case
    -------------------------------------+------------+---------------------------------+---------------
    natural, reserved phone p            | —          | —                               | R2  keep it, own password
    natural with another phone, or legal | no / yes   | —                               | R3  natural HJ_p / exception
    none                                 | —          | yes                             | R4  no account: appeal
    none                                 | —          | no                              | R1  natural p
    """
    holder = view.holder(mobile)
    if holder is not None:
        if holder.kind == NATURAL and holder.phone == mobile:
            return Decision("R2", holder.login_name, NATURAL, OWN, create=False, existing=holder,
                            note="平台已有以手机号为登录名的自然人账号,继续使用该账号和平台密码")
        name = PREFIX + mobile
        if view.holder(name) is not None:
            raise NameTaken(f"R3:登录名 {mobile} 与 {name} 均已被占用")
        return Decision("R3", name, NATURAL, UNCHANGED, create=True,
                        note="手机号已被他人注册为登录名,自然人账号登录名加 HJ_ 前缀")
    if mobile in view.verified_phones:
        return Decision("R4", None, None, APPEAL, create=False,
                        note="该手机号的本人已在其他账号完成实名认证,不创建新账号,请通过自然人申诉找回")
    return Decision("R1", mobile, NATURAL, UNCHANGED, create=True, note="继续使用原用户名和密码")
