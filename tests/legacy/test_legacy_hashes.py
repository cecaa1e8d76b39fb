"""Issue 11, item 5: imported accounts answer a wrong password as slowly as any other, and no
fast legacy digest stays in the database."""

import hashlib

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.management import call_command

from idp.accounts.models import Account
from idp.legacy.hashers import legacy_password
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Legacy#2019"
FORMATS = {
    "unsalted_md5": f"unsalted_md5${hashlib.md5(PASSWORD.encode()).hexdigest()}",
    "md5": f"md5$s4lt${hashlib.md5(('s4lt' + PASSWORD).encode()).hexdigest()}",
    "sha256": f"sha256$s4lt${hashlib.sha256(('s4lt' + PASSWORD).encode()).hexdigest()}",
    "sha256_long_salt": f"sha256${'s' * 128}${hashlib.sha256(('s' * 128 + PASSWORD).encode()).hexdigest()}",
}


def imported(name, legacy_hash):
    account = factories.natural_account(name)
    Account.objects.filter(pk=account.pk).update(password=legacy_password(legacy_hash))
    return Account.objects.get(pk=account.pk)


@pytest.fixture
def argon2_calls(monkeypatch):
    """How many argon2id computations a login costs (the time of a failed login is theirs)."""
    calls = []
    for name in ("encode", "verify"):
        original = getattr(Argon2PasswordHasher, name)
        monkeypatch.setattr(Argon2PasswordHasher, name,
                            lambda self, *a, _o=original, _n=name: calls.append(_n) or _o(self, *a))
    return calls


@pytest.mark.parametrize("kind", FORMATS)
def test_a_wrong_password_costs_one_argon2id_for_imported_and_native_accounts(kind, argon2_calls):
    imported(f"old_{kind}", FORMATS[kind])
    factories.natural_account("native")
    argon2_calls.clear()
    assert authenticate(None, login_name=f"old_{kind}", password="wrong") is None
    imported_cost = len(argon2_calls)
    argon2_calls.clear()
    assert authenticate(None, login_name="native", password="wrong") is None
    assert imported_cost == len(argon2_calls) == 1


def test_wrap_legacy_hashes_leaves_no_fast_digest_and_passwords_still_work(client):
    for kind, legacy_hash in FORMATS.items():
        imported(f"wrap_{kind}", legacy_hash)
    call_command("wrap_legacy_hashes")
    stored = list(Account.objects.filter(login_name__startswith="wrap_").values_list("password", flat=True))
    assert all(p.startswith("argon2_legacy_") for p in stored)
    assert not any(digest in p for p in stored for digest in (h.rsplit("$", 1)[1] for h in FORMATS.values()))
    call_command("wrap_legacy_hashes")  # again: nothing left to do, nothing changed
    assert list(Account.objects.filter(login_name__startswith="wrap_").values_list("password", flat=True)) == stored
    for kind in FORMATS:  # through the login page, as the user would
        assert _log_in(client, f"wrap_{kind}", "wrong").status_code == 200
        assert _log_in(client, f"wrap_{kind}", PASSWORD).status_code == 302
        client.logout()
        stored = Account.objects.get(login_name=f"wrap_{kind}").password
        assert stored.startswith("argon2$argon2id$")  # upgraded at the first login


def _log_in(client, login_name, password):
    from captcha.models import CaptchaStore

    client.get("/login/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    return client.post("/login/", {"kind": "natural", "login_name": login_name, "password": password,
                                   "captcha_0": key, "captcha_1": "PASSED"})
