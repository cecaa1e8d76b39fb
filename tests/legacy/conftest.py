import pytest

from idp.accounts.models import RealNameStatus
from idp.realname import services as realname
from tests import factories
from tests.legacy.helpers import E, P


@pytest.fixture
def platform(db):
    """A platform state that puts each legacy row in its case, built with the platform's services."""
    systems = factories.demo_systems()
    factories.legal_account(E["R2"], code=E["R2"])  # R2: legal account named by the USCC
    factories.natural_account(E["R3"])  # R3: someone's natural account holds the USCC as name
    r4_legal = factories.legal_account("acme_admin", code=E["R4"])  # R4: legal account under another name
    factories.natural_account(E["ERR"])  # HJ_ collision: the name and HJ_ + name are both taken
    factories.natural_account("HJ_" + E["ERR"])
    factories.legal_account("u2_admin", code=E["U2"])  # U2 (no legacy account)
    factories.natural_account(P["R2"], mobile=P["R2"])  # R2: registered with the phone as name
    factories.natural_account(P["R3"], mobile="13999990000")  # R3: someone else holds the name
    row = factories.reference_person(40)  # R4: the phone's owner verified elsewhere
    owner = factories.natural_account("phone_owner", mobile=P["R4"], id_number=row["id_number"], name=row["name"])
    assert realname.check_automatically(account=owner, actor=owner) == RealNameStatus.REGISTRY_PASSED
    factories.natural_account(P["ERR"], mobile="13999990001")
    factories.natural_account("HJ_" + P["ERR"])
    return {"systems": systems, "r4_legal": r4_legal}
