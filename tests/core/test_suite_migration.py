"""Moving a platform's stored data to the 国密 suite on PostgreSQL (issue 31, item 8): 100,000
accounts sealed in the international suite; `reencrypt` under IDP_CRYPTO_SUITE=gm is killed (-9)
part-way and run again; the end is consistent — every row whole in one suite or the other while
killed, every row SM4-sealed with HMAC-SM3 indexes after, nothing lost or doubled."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from idp.accounts import selectors
from idp.accounts.models import OWN_DOCUMENT, Account, AccountKind, NaturalPerson, set_document
from idp.core import crypto
from tests import factories
from tests.legacy.test_resume import database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ACCOUNTS = 100_000


def _make_accounts(password: str) -> list[str]:
    numbers = [factories.resident_id(area="310101") for _ in range(ACCOUNTS)]
    accounts = Account.objects.bulk_create(
        [Account(login_name=f"mv_{n}", password=password, kind=AccountKind.NATURAL, phone=f"139{n:08d}")
         for n in range(ACCOUNTS)], batch_size=5000)
    people = []
    for account, number in zip(accounts, numbers, strict=True):
        person = NaturalPerson(account=account, name="迁移")
        set_document(person, OWN_DOCUMENT, identity_type="mainland", id_type="resident_id", id_number=number)
        person.verified_id_index = person.id_index if account.pk % 2 else None
        people.append(person)
    NaturalPerson.objects.bulk_create(people, batch_size=5000)
    return numbers


def _reencrypt_in_gm() -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "IDP_DATABASE_URL": database_url(),
           "IDP_CRYPTO_SUITE": "gm"}
    return subprocess.Popen([sys.executable, "manage.py", "reencrypt", "--batch-size", "1000"], cwd=settings.BASE_DIR,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _moved() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_naturalperson WHERE id_number LIKE 'v3:sm4:%%'")
        return cursor.fetchone()[0]


def _rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT account_id, id_type, id_number, id_index, verified_id_index FROM accounts_naturalperson "
                       "WHERE account_id IN (SELECT id FROM accounts_account WHERE login_name LIKE 'mv\\_%%')")
        return cursor.fetchall()


def _check(rows, numbers_by_account, *, suites) -> dict:
    """Each row whole in one suite: its envelope, index and verified copy agree. Counts by suite."""
    counts = dict.fromkeys(suites, 0)
    field = NaturalPerson._meta.get_field("id_number")
    for account_id, id_type, sealed, index, verified in rows:
        suite = "gm" if sealed.startswith("v3:sm4:") else "international"
        assert suite in suites, account_id
        number = crypto.decrypt(sealed, aad=field.aad_for(account_id))
        assert number == numbers_by_account[account_id]
        assert index == crypto.blind_index(id_type, number, suite), account_id
        assert verified in (None, index), account_id
        assert (verified is not None) == bool(account_id % 2), account_id
        counts[suite] += 1
    return counts


def test_reencrypt_to_gm_killed_and_resumed_ends_consistent(capsys):
    numbers = _make_accounts(make_password(factories.PASSWORD))
    accounts = dict(Account.objects.filter(login_name__startswith="mv_").values_list("login_name", "pk"))
    numbers_by_account = {accounts[f"mv_{n}"]: number for n, number in enumerate(numbers)}

    first = _reencrypt_in_gm()
    deadline = time.monotonic() + 300
    while _moved() < ACCOUNTS // 4 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
    assert first.poll() is None, "reencrypt finished before it could be killed"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)

    partly = _check(_rows(), numbers_by_account, suites=("international", "gm"))
    assert ACCOUNTS // 4 <= partly["gm"] < ACCOUNTS and sum(partly.values()) == ACCOUNTS
    settings.IDP_CRYPTO_SUITE = "gm"  # the platform serves meanwhile: both suites' rows are found
    try:
        assert all(selectors.person_document_exists("resident_id", numbers[n]) for n in (0, ACCOUNTS - 1))

        resumed = _reencrypt_in_gm()
        out, err = resumed.communicate(timeout=600)
        assert resumed.returncode == 0, err.decode()[-2000:]
        assert f"{ACCOUNTS - partly['gm']:,} rows re-encrypted (gm suite" in out.decode()
        with capsys.disabled():
            print(f"\n\nSuite migration: killed after {partly['gm']:,} of {ACCOUNTS:,} accounts; the rerun: "
                  f"{out.decode().strip()}")
        assert _check(_rows(), numbers_by_account, suites=("gm",)) == {"gm": ACCOUNTS}
        assert Account.objects.filter(login_name__startswith="mv_").count() == ACCOUNTS
        assert selectors.person_document_exists("resident_id", numbers[ACCOUNTS // 2])
    finally:
        settings.IDP_CRYPTO_SUITE = "international"
