"""GET /api/check/<what> answers as CONTRACT.md says, for every identifier kind."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def check(client, what, value, **params):
    response = client.get(f"/api/check/{what}", {"value": value, **params})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"valid", "exists", "message"} and body["message"]
    return body


def test_login_name(client):
    factories.natural_account("Taken_Name")
    assert check(client, "login-name", "taken_name") == {
        "valid": True, "exists": True, "message": "该登录名已注册"}
    assert check(client, "login-name", "free_name")["exists"] is False
    assert check(client, "login-name", "bad name")["valid"] is False


@pytest.mark.parametrize(("id_type", "good", "bad"), [
    ("resident_id", factories.resident_id(seq="123"), "110105194912310021"),
    ("hk_macau_permit", "H12345678", "X12345678"),
    ("taiwan_permit", "12345678", "1234567"),
    ("hmt_residence_permit", factories.resident_id(area="810000", seq="123"), "11010519491231002X"),
    ("foreign_permanent_residence", "USA110185061234", "USA1"),
    ("passport", "E12345678", "E1"),
])
def test_id_number_for_every_document_type(client, id_type, good, bad):
    assert check(client, "id-number", good, id_type=id_type) == {
        "valid": True, "exists": False, "message": "该证件号码尚未注册"}
    assert check(client, "id-number", bad, id_type=id_type)["valid"] is False


def test_id_number_existing_is_a_warning(client):
    number = factories.resident_id(seq="321")
    factories.natural_account(id_number=number)
    body = check(client, "id-number", number, id_type="resident_id")
    assert body["valid"] and body["exists"] and "找回密码" in body["message"]


def test_id_number_unknown_type(client):
    body = check(client, "id-number", "123", id_type="library_card")
    assert body == {"valid": False, "exists": False, "message": "未知的证件类型"}


def test_uscc(client):
    account = factories.legal_account()
    assert check(client, "uscc", account.organisation.uscc.lower())["exists"] is True
    assert check(client, "uscc", factories.uscc())["exists"] is False
    assert "校验位" in check(client, "uscc", "91110108MA01ET88XA")["message"]


def test_org_name(client):
    factories.legal_account(name="某某研究院")
    assert check(client, "org-name", " 某某研究院 ")["exists"] is True
    assert check(client, "org-name", "另一家单位")["exists"] is False
    assert check(client, "org-name", "")["valid"] is False


def test_mobile(client):
    factories.natural_account(mobile="13811112222")
    assert check(client, "mobile", "13811112222")["exists"] is True
    assert check(client, "mobile", "13811113333")["exists"] is False
    assert check(client, "mobile", "1381111222")["valid"] is False


def test_unknown_check_and_wrong_method(client):
    assert client.get("/api/check/everything", {"value": "x"}).status_code == 404
    assert client.post("/api/check/uscc", {"value": "x"}).status_code == 405


def test_rate_limited(client, settings):
    settings.IDP_CHECK_API_PER_MINUTE = 3
    for _ in range(3):
        check(client, "login-name", "abc")
    response = client.get("/api/check/login-name", {"value": "abc"})
    assert response.status_code == 429 and response.json()["message"]


def test_the_password_check_knows_what_the_server_refuses(client):
    """Issue 25: the strength meter said 强 for Password123!, which the server refuses. The meter
    asks this before it says 中 or 强."""
    common = client.post("/api/check/password", {"password": "Password123!"}).json()
    assert common["valid"] is False and "常见" in common["message"]
    personal = client.post("/api/check/password", {"password": "Zhangwei-2026!", "login_name": "zhangwei"}).json()
    assert personal["valid"] is False
    assert client.post("/api/check/password", {"password": "Kq7#vLm2pX9!"}).json() == {"valid": True, "message": ""}
    assert client.get("/api/check/password", {"value": "Kq7#vLm2pX9!"}).status_code == 405  # never in an address
