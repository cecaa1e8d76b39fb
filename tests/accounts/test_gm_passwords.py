"""IDP_CRYPTO_SUITE=gm passwords (accounts/hashers.py): argon2id over HMAC-SM3 with a pepper held
outside the database; hashes of the other suite verify and move over at the next login."""

import pytest
from django.contrib.auth.hashers import check_password, make_password

from idp.accounts.models import Account
from tests import factories
from tests.accounts.test_login import login

pytestmark = pytest.mark.django_db
GM = ["idp.accounts.hashers.Argon2idSM3PepperHasher", "idp.accounts.hashers.Argon2idHasher"]


@pytest.fixture
def gm_suite(settings):
    settings.PASSWORD_HASHERS = GM + [h for h in settings.PASSWORD_HASHERS if h not in GM]


def test_a_gm_hash_is_argon2id_over_the_peppered_password(gm_suite):
    from argon2 import PasswordHasher
    from argon2.exceptions import VerifyMismatchError

    from idp.accounts.hashers import Argon2idSM3PepperHasher

    encoded = make_password("Kz9vBq2wLm!")
    assert encoded.startswith("argon2sm3$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("Kz9vBq2wLm!", encoded) and not check_password("Kz9vBq2wLm?", encoded)
    argon2_part = "$" + encoded.split("$", 1)[1]
    with pytest.raises(VerifyMismatchError):  # the password alone does not open it: the pepper is needed
        PasswordHasher().verify(argon2_part, "Kz9vBq2wLm!")
    assert PasswordHasher().verify(argon2_part, Argon2idSM3PepperHasher._peppered("Kz9vBq2wLm!"))


def test_an_international_hash_moves_to_the_gm_suite_at_the_next_login(client, gm_suite, settings):
    account = factories.natural_account("moving_person")
    Account.objects.filter(pk=account.pk).update(password=make_password(factories.PASSWORD, hasher="argon2"))
    assert login(client, "moving_person").status_code == 302
    assert Account.objects.get(pk=account.pk).password.startswith("argon2sm3$")
    client.post("/logout/")
    assert login(client, "moving_person").status_code == 302  # and it keeps working


def test_a_gm_hash_still_verifies_under_the_international_suite():
    encoded = "argon2sm3" + make_password("Kz9vBq2wLm!", hasher="argon2").split("argon2", 1)[1]
    assert not check_password("Kz9vBq2wLm!", encoded)  # a hash of the bare password is not a gm hash
    from idp.accounts.hashers import Argon2idSM3PepperHasher

    assert check_password("Kz9vBq2wLm!", Argon2idSM3PepperHasher().encode("Kz9vBq2wLm!", "c2FsdHNhbHRzYWx0"))
