"""Malformed or oversized requests get a 4xx, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


def test_oversized_body_is_refused_with_the_form_again(client):
    response = client.post("/register/natural/", {"name": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    page = response.content.decode()
    assert 'role="alert"' in page and "过大,未被接收" in page and 'name="login_name"' in page


def test_too_many_fields_is_refused(client):
    response = client.post("/login/", {f"f{i}": "x" for i in range(500)})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/register/natural/", "/register/legal/", "/login/"])
def test_garbage_form_values_are_form_errors(client, path):
    """NUL bytes, invalid UTF-8, repeated keys and absurd values are just invalid input."""
    body = (b"login_name=%00%ff%fe&password=a&password=b&identity_type=%F0%9F%99%82"
            b"&id_type=" + b"x" * 5000 + b"&lr_id_valid_from=99999-99-99&kind=legal"
            b"&captcha_0=nope&captcha_1=nope&agree=%ff")
    response = client.post(path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_non_utf8_query(client):
    response = client.get("/api/check/login-name?value=%ff%fe")
    assert response.status_code == 200 and response.json()["valid"] is False


@pytest.mark.parametrize("what", ["login-name", "id-number", "uscc", "org-name", "mobile"])
def test_check_api_with_nul_and_control_characters(client, what):
    """A NUL byte (which PostgreSQL refuses in text) is an invalid value, not an error."""
    response = client.get(f"/api/check/{what}", {"value": "abc\x00def", "id_type": "\x00"})
    assert response.status_code == 200 and response.json()["valid"] is False
