"""The five legacy hash formats verify at login and are re-hashed to argon2id."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher

from idp.legacy.hashers import InvalidLegacyHash, legacy_password
from idp.legacy.synthetic import LEGACY_PASSWORD, legacy_hashes

FORMATS = ["unsalted_md5", "md5", "sha256", "bcrypt", "pbkdf2_sha256"]


@pytest.mark.parametrize(("fmt", "legacy"), list(zip(FORMATS, legacy_hashes(), strict=True)))
def test_each_format_verifies_the_right_password_only(fmt, legacy):
    stored = legacy_password(legacy)
    assert check_password(LEGACY_PASSWORD, stored)
    assert not check_password(LEGACY_PASSWORD + "x", stored)
    assert not check_password("", stored)
    hasher = identify_hasher(stored)
    assert hasher.must_update(stored) or hasher.algorithm == "pbkdf2_sha256"
    assert legacy not in str(hasher.safe_summary(stored)).replace("********", "")


def test_bcrypt_variants():
    import bcrypt

    digest = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()
    for prefix in ("$2a$", "$2b$", "$2y$"):
        assert check_password("pw", legacy_password("bcrypt$" + prefix + digest[4:]))


def test_unsalted_md5_any_case():
    assert check_password("abc", legacy_password("unsalted_md5$900150983CD24FB0D6963F7D28E17F72"))


@pytest.mark.parametrize("bad", [
    "", "plain", "md5$$" + "0" * 32, "unsalted_md5$xyz", "sha256$salt$" + "0" * 63, "md5$a$b$" + "0" * 32,
    "bcrypt$$2x$04$" + "a" * 53, "pbkdf2_sha256$0$salt$" + "A" * 43 + "=", "sha1$salt$" + "0" * 40,
    "argon2$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
])
def test_unknown_or_malformed_hashes_are_refused(bad):
    with pytest.raises(InvalidLegacyHash) as error:
        legacy_password(bad)
    assert bad not in str(error.value) or not bad


@pytest.mark.django_db
def test_bcrypt_passwords_longer_than_72_bytes_keep_working(client):
    """Issue 13, item 6: the legacy library hashed the first 72 bytes. The full password must
    work, and after the upgrade at the first login it still must — not only its first 72."""
    import bcrypt as bcrypt_lib

    from idp.accounts.models import Account
    from tests import factories
    from tests.accounts.test_login import login

    long_password = "长密码" * 20 + "Ab1!"  # 184 bytes in UTF-8
    legacy = bcrypt_lib.hashpw(long_password.encode()[:72], bcrypt_lib.gensalt(rounds=4)).decode()
    account = factories.natural_account("long_pw")
    Account.objects.filter(pk=account.pk).update(password=legacy_password(f"bcrypt${legacy}"))
    assert login(client, "long_pw", password=long_password).status_code == 302
    client.post("/logout/")
    assert Account.objects.get(pk=account.pk).password.startswith("argon2$")
    assert login(client, "long_pw", password=long_password).status_code == 302  # the whole password, re-hashed
    client.post("/logout/")
    truncated = long_password.encode()[:72].decode("utf-8", "ignore")
    assert login(client, "long_pw", password=truncated).status_code == 200  # no longer only its first 72 bytes
