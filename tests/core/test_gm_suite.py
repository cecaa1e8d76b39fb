"""The 国密 crypto suite (IDP_CRYPTO_SUITE=gm, issue 31 item 1): SM4-GCM envelopes bound to their
row, HMAC-SM3 blind indexes and digests, HKDF-SM3 subkeys; both suites read while `reencrypt` moves
stored rows from one to the other; identifiers given to business systems never change."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import call_command
from django.db import connection

from idp.accounts import mfa, selectors
from idp.accounts.models import NaturalPerson, Organisation
from idp.audit import chain
from idp.audit.log import record
from idp.audit.models import AuditEntry, Event
from idp.core import crypto, gm
from idp.notify import otp
from idp.realname import services as realname
from idp.realname import verifiers
from idp.sso import claims, clients
from tests import factories

pytestmark = pytest.mark.django_db


def raw(table, column, account_id):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE account_id = %s", [account_id])
        return cursor.fetchone()[0]


def write_raw(table, column, account_id, value):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE account_id = %s", [value, account_id])


@pytest.fixture
def gm_suite(settings):
    settings.IDP_CRYPTO_SUITE = "gm"
    return settings


@pytest.fixture
def international_first(settings):
    """The tests that move between suites start in the international one, whatever the run's default."""
    settings.IDP_CRYPTO_SUITE = "international"
    return settings


def test_an_identity_number_is_sealed_with_sm4_gcm_under_a_hkdf_sm3_key(gm_suite):
    """Opened here without the module: HKDF-SM3 of IDP_DATA_KEY, SM4-GCM, the row as associated data."""
    number = factories.resident_id()
    account = factories.natural_account(id_number=number)
    stored = raw("accounts_naturalperson", "id_number", account.pk)
    assert stored.startswith("v3:sm4:1:")
    body = base64.b64decode(stored.removeprefix("v3:sm4:1:"))
    key = HKDF(algorithm=hashes.SM3(), length=16, salt=None, info=b"idp field encryption sm4").derive(
        base64.b64decode(gm_suite.IDP_DATA_KEY))
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(body[:12], body[-16:])).decryptor()
    decryptor.authenticate_additional_data(f"accounts_naturalperson.id_number:{account.pk}".encode())
    assert (decryptor.update(body[12:-16]) + decryptor.finalize()).decode() == number
    assert NaturalPerson.objects.get(account=account).id_number == number


def test_an_sm4_envelope_moved_to_another_row_does_not_decrypt(gm_suite):
    a, b = factories.natural_account(), factories.natural_account()
    write_raw("accounts_naturalperson", "id_number", b.pk, raw("accounts_naturalperson", "id_number", a.pk))
    with pytest.raises(crypto.UndecryptableError):
        _ = NaturalPerson.objects.get(account=b).id_number
    tampered = crypto.encrypt("110105194912310021", aad="t.c:1")
    tampered = tampered[:-6] + ("AAAA==" if not tampered.endswith("AAAA==") else "BBBB==")
    with pytest.raises(crypto.UndecryptableError):
        crypto.decrypt(tampered, aad="t.c:1")


def test_blind_indexes_are_hmac_sm3_and_a_lookup_finds_either_suite(settings, international_first):
    number = factories.resident_id()
    factories.natural_account(id_number=number)  # indexed in the international suite
    settings.IDP_CRYPTO_SUITE = "gm"
    key = crypto.purpose_key("blind index")
    assert crypto.blind_index("resident_id", number) == gm.hmac_sm3(key, f"resident_id:{number}".encode()).hex()
    assert crypto.blind_index("resident_id", number) != crypto.blind_index("resident_id", number, "international")
    assert selectors.person_document_exists("resident_id", number)  # the row not moved yet is found


def test_secrets_digested_in_one_suite_are_accepted_in_the_other(settings, international_first):
    rp_secret, rp_digest = clients.new_secret()
    account = factories.natural_account()
    codes = mfa._new_recovery_codes(account)
    sent = otp.send_code(phone=account.phone, purpose="register", ip="10.0.0.1")
    code = factories.last_code(account.phone, "register")
    settings.IDP_CRYPTO_SUITE = "gm"
    assert crypto.keyed_digest("x") == gm.hmac_sm3(crypto.purpose_key("blind index"), b"digest:x").hex()
    client = type("C", (), {"secret_digest": rp_digest})()
    assert clients.secret_matches(client, rp_secret) and not clients.secret_matches(client, rp_secret + "x")
    assert mfa.verify(account, codes[0]) == "recovery"
    assert otp.check_code(phone=account.phone, purpose="register", code=code) == sent.pk
    # and back: what the gm suite digested is accepted by the international one
    gm_secret, gm_digest = clients.new_secret()
    settings.IDP_CRYPTO_SUITE = "international"
    assert clients.secret_matches(type("C", (), {"secret_digest": gm_digest})(), gm_secret)


def test_identifiers_given_to_business_systems_do_not_change_with_the_suite(settings, international_first):
    account = factories.natural_account()
    subject = claims.subject(account)
    settings.IDP_CRYPTO_SUITE = "gm"
    assert claims.subject(account) == subject


def test_moving_to_the_gm_suite_and_back(settings, international_first):
    """International rows, then the gm suite: they read and are found before `reencrypt`, a second
    account cannot verify the same document meanwhile, and afterwards every envelope is SM4 and
    every index HMAC-SM3 — the verified copy included. Then back again."""
    number = factories.resident_id()
    holder = factories.natural_account(id_number=number)
    assert realname.record_automatic_result(account=holder, result=verifiers.Result(verifiers.MATCH),
                                            actor=None) == "registry_passed"
    org = factories.legal_account().organisation
    settings.IDP_CRYPTO_SUITE = "gm"

    second = factories.natural_account(id_number=number)  # indexed in gm: its index differs from the holder's
    assert raw("accounts_naturalperson", "id_index", second.pk) != raw("accounts_naturalperson", "id_index",
                                                                        holder.pk)
    assert realname.document_holder(second) == holder
    assert realname.record_automatic_result(account=second, result=verifiers.Result(verifiers.MATCH),
                                            actor=None) == "registry_failed"

    call_command("reencrypt")
    person = NaturalPerson.objects.get(account=holder)
    assert raw("accounts_naturalperson", "id_number", holder.pk).startswith("v3:sm4:1:")
    assert person.id_number == number
    assert person.id_index == person.verified_id_index == crypto.blind_index("resident_id", number, "gm")
    for column in ("lr_id_number", "agent_id_number"):
        assert raw("accounts_organisation", column, org.account_id).startswith("v3:sm4:1:")
    moved = Organisation.objects.get(pk=org.pk)
    assert moved.lr_id_index == crypto.blind_index(moved.lr_id_type, moved.lr_id_number, "gm")
    assert realname.document_holder(second) == holder

    settings.IDP_CRYPTO_SUITE = "international"
    call_command("reencrypt")
    person = NaturalPerson.objects.get(account=holder)
    assert raw("accounts_naturalperson", "id_number", holder.pk).startswith("v2:1:")
    assert person.id_index == person.verified_id_index == crypto.blind_index("resident_id", number, "international")


def test_the_audit_chain_is_hmac_sm3_in_the_gm_suite_and_verifies_across_a_change(settings, international_first):
    account = factories.natural_account()
    record(Event.LOGIN, account=account, ip="10.0.0.1")
    chain.seal()
    settings.IDP_CRYPTO_SUITE = "gm"
    later = record(Event.LOGIN, account=account, ip="10.0.0.2")
    chain.seal()
    entry = AuditEntry.objects.filter(pk=later.pk).values(*chain.FIELDS).get()
    before = AuditEntry.objects.get(chain_seq=entry["chain_seq"] - 1)
    assert entry["tag"] == chain.tag_of(crypto.purpose_key("audit chain", "gm"), entry, entry["chain_seq"],
                                        before.tag, "gm")
    assert chain.verify().intact
    AuditEntry.objects.filter(pk=later.pk).update(ip="10.0.0.3")
    assert chain.verify().entry_id == later.pk
