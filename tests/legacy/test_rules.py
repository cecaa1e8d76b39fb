"""The case rules of SPEC 7.2 / 7.3 as a pure function (no database)."""

import pytest

from idp.legacy import rules
from idp.legacy.rules import Holder, PlatformView

U = "91110108MA01ET88XL"
P = "13811112222"


def view(*holders, legal_by_uscc=None, verified=()):
    return PlatformView(holders={h.login_name.lower(): h for h in holders}, legal_by_uscc=legal_by_uscc or {},
                        verified_phones=set(verified))


def test_enterprise_r1_nothing_there():
    d = rules.decide_enterprise(U, view())
    assert (d.case, d.login_name, d.account_type, d.password, d.create) == ("R1", U, "legal", "unchanged", True)


def test_enterprise_r2_legal_account_named_by_the_uscc():
    holder = Holder(U.lower(), "legal", pk=7)  # names compare case-insensitively
    d = rules.decide_enterprise(U, view(holder, legal_by_uscc={U: holder}))
    assert (d.case, d.login_name, d.password, d.create, d.existing) == ("R2", U.lower(), "own", False, holder)


def test_enterprise_r3_natural_account_holds_the_name():
    d = rules.decide_enterprise(U, view(Holder(U, "natural")))
    assert (d.case, d.login_name, d.account_type, d.password) == ("R3", "HJ_" + U, "legal", "unchanged")


def test_enterprise_r3_collision_is_an_error():
    with pytest.raises(rules.NameTaken, match="HJ_"):
        rules.decide_enterprise(U, view(Holder(U, "natural"), Holder("hj_" + U.lower(), "natural")))


def test_enterprise_r4_legal_account_under_another_name():
    legal = Holder("acme_admin", "legal", pk=9)
    d = rules.decide_enterprise(U, view(legal, legal_by_uscc={U: legal}))
    assert (d.case, d.login_name, d.account_type, d.password, d.existing) == ("R4", U, "natural", "unchanged", legal)


def test_enterprise_r4_name_taken_is_an_error():
    legal = Holder("acme_admin", "legal", pk=9)
    with pytest.raises(rules.NameTaken, match="R4"):
        rules.decide_enterprise(U, view(legal, Holder(U, "natural"), legal_by_uscc={U: legal}))


def test_person_r1():
    d = rules.decide_person(P, view())
    assert (d.case, d.login_name, d.account_type, d.password) == ("R1", P, "natural", "unchanged")


def test_person_r2_own_account_with_the_phone():
    holder = Holder(P, "natural", phone=P, pk=3)
    d = rules.decide_person(P, view(holder))
    assert (d.case, d.password, d.create, d.existing) == ("R2", "own", False, holder)


@pytest.mark.parametrize("holder", [Holder(P, "natural", phone="13900000000"), Holder(P, "legal", phone=P)])
def test_person_r3_someone_else_holds_the_name(holder):
    d = rules.decide_person(P, view(holder))
    assert (d.case, d.login_name, d.account_type) == ("R3", "HJ_" + P, "natural")


def test_person_r3_collision_is_an_error():
    with pytest.raises(rules.NameTaken):
        rules.decide_person(P, view(Holder(P, "natural", phone="13900000000"), Holder("HJ_" + P, "natural")))


def test_person_r4_verified_owner_of_the_phone():
    d = rules.decide_person(P, view(verified=[P]))
    assert (d.case, d.login_name, d.account_type, d.password, d.create) == ("R4", None, None, "appeal", False)


def test_person_name_rule_comes_before_the_verified_phone():
    """A holder of the name decides R2/R3 even if a verified person also owns the phone."""
    assert rules.decide_person(P, view(Holder(P, "natural", phone=P), verified=[P])).case == "R2"


# --- issue 13, item 4: every combination, as the table beside rules.py gives it --------------------

NAMED_U = {
    "none": None,
    "legal, USCC u": Holder(U, "legal", pk=1),
    "legal, another USCC": Holder(U, "legal", pk=2),
    "natural": Holder(U, "natural", pk=3),
}


@pytest.mark.parametrize("named", NAMED_U)
@pytest.mark.parametrize("legal_elsewhere", [False, True])
@pytest.mark.parametrize("hj_taken", [False, True])
def test_enterprise_matrix(named, legal_elsewhere, hj_taken):
    holder = NAMED_U[named]
    holders = [h for h in (holder, Holder("HJ_" + U, "natural", pk=9) if hj_taken else None) if h]
    legal_by_uscc = {}
    if named == "legal, USCC u":
        legal_by_uscc[U] = holder  # its own USCC: no other legal account can have u
    elif legal_elsewhere:
        legal_by_uscc[U] = Holder("another_name", "legal", pk=5)
    collision = named in ("legal, another USCC", "natural")
    if named == "legal, USCC u":
        expected = ("R2", U)
    elif collision and (legal_elsewhere or hj_taken):
        expected = "exception"
    elif collision:
        expected = ("R3", "HJ_" + U)
    elif legal_elsewhere:
        expected = ("R4", U)
    else:
        expected = ("R1", U)
    if expected == "exception":
        with pytest.raises(rules.NameTaken):
            rules.decide_enterprise(U, view(*holders, legal_by_uscc=legal_by_uscc))
    else:
        d = rules.decide_enterprise(U, view(*holders, legal_by_uscc=legal_by_uscc))
        assert (d.case, d.login_name) == expected
        if d.case == "R2":
            assert d.existing == holder and d.password == "own"


def test_an_account_named_u_of_another_organisation_is_never_r2():
    """The outside check: such an enterprise was told to log in with "its own password" to an
    account it does not own."""
    other_org = Holder(U, "legal", pk=2)
    d = rules.decide_enterprise(U, view(other_org, legal_by_uscc={}))
    assert d.case == "R3" and d.login_name == "HJ_" + U and d.password == "unchanged"


NAMED_P = {
    "none": None,
    "natural, phone p": Holder(P, "natural", phone=P, pk=1),
    "natural, another phone": Holder(P, "natural", phone="13900000000", pk=2),
    "legal": Holder(P, "legal", pk=3),
}


@pytest.mark.parametrize("named", NAMED_P)
@pytest.mark.parametrize("verified_elsewhere", [False, True])
@pytest.mark.parametrize("hj_taken", [False, True])
def test_person_matrix(named, verified_elsewhere, hj_taken):
    holder = NAMED_P[named]
    holders = [h for h in (holder, Holder("HJ_" + P, "natural", pk=9) if hj_taken else None) if h]
    if named == "natural, phone p":
        expected = ("R2", P)
    elif holder is not None:
        expected = "exception" if hj_taken else ("R3", "HJ_" + P)
    elif verified_elsewhere:
        expected = ("R4", None)
    else:
        expected = ("R1", P)
    if expected == "exception":
        with pytest.raises(rules.NameTaken):
            rules.decide_person(P, view(*holders, verified=[P] if verified_elsewhere else []))
    else:
        d = rules.decide_person(P, view(*holders, verified=[P] if verified_elsewhere else []))
        assert (d.case, d.login_name) == expected
