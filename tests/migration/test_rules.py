"""The case rules of SPEC 7.2 / 7.3 as a pure function (no database)."""

import pytest

from idp.migration import rules
from idp.migration.rules import Holder, PlatformView

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
