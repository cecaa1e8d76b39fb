"""Issue 11 (informational): each ciphertext is bound to its table, column and row, carries
its key version, and `reencrypt` moves every stored value to a new key."""

import base64
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.management import call_command
from django.db import connection

from idp.accounts.models import NaturalPerson, Organisation
from idp.core import crypto
from tests import factories

pytestmark = pytest.mark.django_db


def raw(table, column, where, value):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {where} = %s", [value])
        return cursor.fetchone()[0]


def write_raw(table, column, where, value, token):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {where} = %s", [token, value])


def test_a_ciphertext_moved_to_another_row_does_not_decrypt():
    """The attack: copy A's identity-number ciphertext into B's row, then read B."""
    a, b = factories.natural_account("owner_a"), factories.natural_account("owner_b")
    write_raw("accounts_naturalperson", "id_number", "account_id", b.pk,
              raw("accounts_naturalperson", "id_number", "account_id", a.pk))
    with pytest.raises(crypto.UndecryptableError):
        _ = NaturalPerson.objects.get(account=b).id_number
    assert NaturalPerson.objects.get(account=a).id_number  # the original still reads


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    org = factories.legal_account().organisation
    write_raw("accounts_organisation", "agent_id_number", "account_id", org.account_id,
              raw("accounts_organisation", "lr_id_number", "account_id", org.account_id))
    with pytest.raises(crypto.UndecryptableError):
        _ = Organisation.objects.get(pk=org.pk).agent_id_number


def test_plaintext_cannot_reach_the_column_around_save():
    account = factories.natural_account()
    with pytest.raises(ValueError):
        NaturalPerson.objects.filter(account=account).update(id_number="110105194912310021")


def test_reencrypt_moves_everything_to_the_new_key(settings):
    person = factories.natural_account("rotated", id_number=factories.resident_id(seq="555"))
    number = person.person.id_number
    org = factories.legal_account().organisation
    nonce = os.urandom(12)  # a value written before ciphertexts were bound (format v1)
    sealed = AESGCM(crypto.encryption_keys()[1]).encrypt(nonce, b"110105194912310021", b"idp")
    legacy = "v1:" + base64.b64encode(nonce + sealed).decode()
    write_raw("accounts_organisation", "lr_id_number", "account_id", org.account_id, legacy)
    assert Organisation.objects.get(pk=org.pk).lr_id_number == "110105194912310021"  # v1 still reads

    new_key = base64.b64encode(os.urandom(32)).decode()
    settings.IDP_ENCRYPTION_KEYS = f"2:{new_key}"
    call_command("reencrypt")
    for table, column, where, value in (("accounts_naturalperson", "id_number", "account_id", person.pk),
                                        ("accounts_organisation", "lr_id_number", "account_id", org.account_id),
                                        ("accounts_organisation", "agent_id_number", "account_id", org.account_id)):
        assert raw(table, column, where, value).startswith("v2:2:"), (table, column)
    assert NaturalPerson.objects.get(account=person).id_number == number
    assert Organisation.objects.get(pk=org.pk).lr_id_number == "110105194912310021"
    settings.IDP_ENCRYPTION_KEYS = ""  # without key 2 nothing reads: every value really moved
    with pytest.raises(crypto.UndecryptableError):
        _ = NaturalPerson.objects.get(account=person).id_number
