"""Issue 11 (informational): common and breached passwords (checked offline) and passwords
built from the account's own login name, name, phone or e-mail are refused, with a clear
message, at registration, change and reset (OWASP ASVS 2.1.7, NIST SP 800-63B §5.1.1.2)."""

import pytest

from idp.accounts import passwords
from tests import factories
from tests.accounts.test_registration import errors_of, natural_data
from tests.recovery.test_reset import lookup, reset_data, send_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", ["Password1", "Qwerty123", "Password123!", "Welcome123!", "Password@123"])
def test_common_and_breached_passwords_are_refused_at_registration(client, password):
    response = client.post("/register/natural/", natural_data(client, password=password, password_confirm=password))
    assert errors_of(response)["password"] == [passwords.COMMON]
    assert 'value="zhang_san"' in response.content.decode()  # nothing typed is lost


@pytest.mark.parametrize("password", ["Zhang_san2026", "13912340001Ab", "zhang_san!X9"])
def test_passwords_built_from_the_account_are_refused(client, password):
    response = client.post("/register/natural/", natural_data(client, password=password, password_confirm=password))
    assert errors_of(response)["password"] == [passwords.PERSONAL]


def test_a_strong_unrelated_password_passes(client):
    data = natural_data(client, password="Tq4!mRv8Lw", password_confirm="Tq4!mRv8Lw")
    response = client.post("/register/natural/", data)
    assert response.status_code == 302


def test_password_change_checks_against_the_account(client):
    account = factories.natural_account("wang_xiaoming", mobile="13812345656")
    client.force_login(account)
    for password, message in (("Wang_xiaoming1", passwords.PERSONAL), ("Ab13812345656", passwords.PERSONAL),
                              ("Password1", passwords.COMMON)):
        response = client.post("/online/password/", {"old_password": factories.PASSWORD, "password": password,
                                                     "password_confirm": password})
        assert response.context["form"].errors["password"] == [message], password


def test_reset_refuses_a_common_password(client):
    account = factories.natural_account("forgot_common", mobile="13955551234")
    lookup(client, "forgot_common")
    send_code(client, account)
    response = client.post("/password/reset/verify/", reset_data(account, password="Password1",
                                                                 password_confirm="Password1"))
    assert response.context["form"].errors["password"] == [passwords.COMMON]
    account.refresh_from_db()
    assert account.check_password(factories.PASSWORD)


@pytest.mark.parametrize("path", ["/register/natural/", "/register/legal/", "/password/appeal/waiting/", "/login/"])
def test_pages_that_send_back_what_was_typed_are_never_stored(client, path):
    """Issue 25 N8: registration pages sent the typed password back without no-store."""
    response = client.post(path, {"password": "Typed-0nce!", "password_confirm": "Typed-0nce!x"})
    assert "no-store" in response.get("Cache-Control", ""), path
    assert "no-store" in client.get(path).get("Cache-Control", ""), path


def test_a_password_over_128_characters_is_refused_before_anything_is_hashed():
    """Issue 25: no maximum length (argon2 over a 1 MB password)."""
    with pytest.raises(Exception) as refused:
        passwords.check_password_rule("Aa1!" * 250_000)
    assert "128" in str(refused.value)
    passwords.check_password_rule("Aa1!x" + "yZ9#" * 30)  # 125 characters: fine
