"""Identity numbers are encrypted at rest and found through a keyed blind index."""

import pytest
from django.db import connection

from idp.accounts import selectors
from idp.core import crypto
from tests import factories

pytestmark = pytest.mark.django_db


def test_no_identity_number_in_plaintext_in_the_database():
    """The raw rows of persons and organisations hold no identity number or its digits."""
    person_id = factories.resident_id(seq="271")
    account = factories.natural_account(id_number=person_id)
    org_account = factories.legal_account()
    org = org_account.organisation
    numbers = [person_id, org.lr_id_number, org.agent_id_number]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_naturalperson WHERE account_id = %s", [account.pk])
        person_row = cursor.fetchone()
        cursor.execute("SELECT * FROM accounts_organisation WHERE account_id = %s", [org_account.pk])
        org_row = cursor.fetchone()
    raw = repr(person_row) + repr(org_row)
    for number in numbers:
        assert number not in raw
        assert number[:14] not in raw  # not even the area + birth date
    assert "v2:1:" in raw


def test_model_reads_back_the_plaintext():
    """Code sees the number; the index finds the account by type + number."""
    number = factories.resident_id()
    account = factories.natural_account(id_number=number)
    account.person.refresh_from_db()
    assert account.person.id_number == number
    assert selectors.person_document_exists("resident_id", number)
    assert not selectors.person_document_exists("passport", number)


def test_encryption_is_randomised_and_authenticated():
    """Two encryptions differ; a tampered ciphertext is refused."""
    a, b = (crypto.encrypt("11010519491231002X", aad="t.c:1"), crypto.encrypt("11010519491231002X", aad="t.c:1"))
    assert a != b and crypto.decrypt(a, aad="t.c:1") == crypto.decrypt(b, aad="t.c:1") == "11010519491231002X"
    tampered = a[:-4] + ("AAAA" if not a.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.UndecryptableError):
        crypto.decrypt(tampered, aad="t.c:1")


def test_blind_index_is_keyed(settings):
    """The index depends on the key, so it cannot be recomputed without it."""
    first = crypto.blind_index("resident_id", "11010519491231002X")
    settings.IDP_DATA_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    assert crypto.blind_index("resident_id", "11010519491231002X") != first
