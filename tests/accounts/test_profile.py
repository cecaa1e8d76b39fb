"""我的信息: view (masked), edit (both kinds), change password."""

import re

import pytest
from django.test import Client

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_client(client):
    account = factories.natural_account("pat", id_number=factories.resident_id(seq="271"),
                                        mobile="13812345656", name="王小明")
    client.force_login(account)
    client.account = account
    return client


@pytest.fixture
def org_client(client):
    account = factories.legal_account("orgy", mobile="13712345656", name="测试科技有限公司")
    client.force_login(account)
    client.account = account
    return client


def test_profile_needs_login(client):
    assert client.get("/online/profile/").url.startswith("/login/?next=")


def test_natural_profile_masks_numbers(person_client):
    """证件号码 and 手机 are masked; the status badge shows 未实名认证."""
    person = person_client.account.person
    page = person_client.get("/online/profile/").content.decode()
    assert "自然人用户信息" in page and "法人(单位)授权办理情况" in page
    assert "实名认证状态" in page and "未实名认证" in page
    assert "******" + person.id_number[-4:] in page and person.id_number not in page
    assert "13*****656" in page and "13812345656" not in page
    assert "修改个人信息" in page and "上传自然人信息" in page


def test_incomplete_profile_says_so(person_client):
    person = person_client.account.person
    person.id_number, person.id_type = "", ""
    person.save()
    assert "用户信息不全,请及时补充!" in person_client.get("/online/profile/").content.decode()


def test_edit_form_shows_the_full_number_to_its_owner(person_client):
    person = person_client.account.person
    page = person_client.get("/online/profile/edit/").content.decode()
    assert f'value="{person.id_number}"' in page and "13*****656" in page


def test_natural_profile_edit_saves(person_client):
    new_number = factories.resident_id(seq="888")
    response = person_client.post("/online/profile/edit/", {
        "name": "王小明", "gender": "male", "ethnicity": "汉族", "title": "工程师",
        "birth_date": "1990-01-01", "email": "wang@example.cn", "telephone": "010-12345678",
        "identity_type": "mainland", "id_type": "resident_id", "id_number": new_number.lower(),
        "address": "北京市海淀区",
    })
    assert response.status_code == 302 and response.url == "/online/profile/"
    person = person_client.account.person
    person.refresh_from_db()
    person_client.account.refresh_from_db()
    assert person.id_number == new_number and person.title == "工程师"
    assert person_client.account.email == "wang@example.cn"
    from idp.accounts import selectors
    assert selectors.person_document_exists("resident_id", new_number)
    assert "信息已保存" in person_client.get("/online/profile/").content.decode()


def test_natural_profile_edit_errors_keep_input(person_client):
    response = person_client.post("/online/profile/edit/", {
        "name": "", "title": "主任", "identity_type": "mainland", "id_type": "resident_id",
        "id_number": "110105194912310021", "email": "not-an-email",
    })
    errors = response.context["form"].errors
    assert "name" in errors and "校验位" in errors["id_number"][0] and "email" in errors
    assert 'value="主任"' in response.content.decode()


def test_legal_profile_shows_three_tabs_masked(org_client):
    org = org_client.account.organisation
    page = org_client.get("/online/profile/").content.decode()
    for text in ["法人单位基本信息", "法人单位其他信息", "主代办人信息", "修改法人信息", "上传法人信息",
                 "信息更新记录", "测试科技有限公司", org.uscc, "13*****656"]:
        assert text in page, text
    assert org.lr_id_number not in page and "******" + org.lr_id_number[-4:] in page
    assert org.agent_id_number not in page and org.lr_mobile not in page


def test_legal_profile_edit_saves(org_client):
    org = org_client.account.organisation
    form = org_client.get("/online/profile/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"english_name": "Test Tech Co., Ltd.", "homepage": "example.cn",
                 "lr_mobile": "13600000001", "lr_id_valid_from": "2020-01-01",
                 "lr_id_long_term": "on", "agent_id_valid_from": "2020-01-01",
                 "agent_id_long_term": "on", "email": "org@example.cn"})
    response = org_client.post("/online/profile/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    org.refresh_from_db()
    assert org.english_name == "Test Tech Co., Ltd." and org.homepage == "https://example.cn"


def test_legal_profile_edit_refuses_a_taken_uscc(org_client):
    other = factories.legal_account()
    form = org_client.get("/online/profile/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"uscc": other.organisation.uscc, "lr_mobile": "13600000001", "email": ""})
    response = org_client.post("/online/profile/edit/", data)
    assert "法人申诉" in response.context["form"].errors["uscc"][0]


def test_change_password_ends_other_sessions(person_client):
    """The new password works, the old does not, and another browser's session ends."""
    other = Client()
    other.force_login(person_client.account)
    assert other.get("/online/profile/").status_code == 200
    response = person_client.post("/online/password/", {
        "old_password": PASSWORD, "password": "Nw7Kq2Lzx9", "password_confirm": "Nw7Kq2Lzx9",
    })
    assert response.status_code == 302
    assert person_client.get("/online/profile/").status_code == 200  # this session stays
    assert other.get("/online/profile/").status_code == 302  # the other one is gone
    account = person_client.account
    account.refresh_from_db()
    assert account.check_password("Nw7Kq2Lzx9") and not account.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"old_password": "Wrong0000", "password": "Nw7Kq2Lzx9", "password_confirm": "Nw7Kq2Lzx9"},
         "old_password", "原密码错误"),
        ({"old_password": PASSWORD, "password": "short", "password_confirm": "short"},
         "password", "8 位"),
        ({"old_password": PASSWORD, "password": "Nw7Kq2Lzx9", "password_confirm": "NewPassw0rX"},
         "password_confirm", "不一致"),
    ],
)
def test_change_password_errors(person_client, data, field, message):
    response = person_client.post("/online/password/", data)
    assert message in response.context["form"].errors[field][0]


def test_online_sections(person_client):
    """我的评价 is a real page now; 用户授权管理 is for legal persons only (无权限 for others); unknown sections 404."""
    page = person_client.get("/online/ratings/").content.decode()
    assert "<h1>我的评价</h1>" in page and "建设中" not in page
    assert person_client.get("/online/delegation/").status_code == 403
    assert "用户授权管理" not in person_client.get("/online/").content.decode()
    assert person_client.get("/online/nonsense/").status_code == 404


def test_agreements_and_forgot_password_pages(client):
    """The agreements are readable; 忘记密码? leads to 选择找回密码方式 with the three ways."""
    page = client.get("/register/natural/").content.decode()
    assert 'href="/register/agreement/natural/"' in page
    assert "自然人实名注册协议" in client.get("/register/agreement/natural/").content.decode()
    assert "法人实名注册协议" in client.get("/register/agreement/legal/").content.decode()
    assert client.get("/register/agreement/other/").status_code == 404
    assert 'href="/password/forgot/"' in client.get("/login/").content.decode()
    page = client.get("/password/forgot/").content.decode()
    assert "登录名重置密码" in page and "单位法人用户申诉找回密码" in page and "自然人申诉找回密码" in page


def test_admin_lists_accounts_for_staff(client):
    """The reviewer sees accounts in admin with masked phones; others are sent to log in."""
    assert client.get("/admin/accounts/account/").status_code == 302
    staff = factories.natural_account("staffer", mobile="13800001111")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    factories.sign_in(client, staff)
    page = client.get("/admin/accounts/account/").content.decode()
    assert "staffer" in page and "13*****111" in page and "13800001111" not in page
    change = client.get(f"/admin/accounts/account/{staff.pk}/change/").content.decode()
    assert "13*****111" in change and "argon2" not in change


def test_legal_profile_edit_checks_validity_dates(org_client):
    form = org_client.get("/online/profile/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"lr_mobile": "13600000001", "email": "", "lr_id_valid_from": "2020-01-01",
                 "lr_id_valid_to": "2019-01-01", "lr_id_long_term": ""})
    response = org_client.post("/online/profile/edit/", data)
    assert "晚于起始日期" in response.context["form"].errors["lr_id_valid_to"][0]


@pytest.mark.parametrize("who", ["person", "organisation", "anonymous"])
def test_every_select_starts_with_the_same_blank_choice(client, who):
    if who == "person":
        client.force_login(factories.natural_account())
    elif who == "organisation":
        client.force_login(factories.legal_account())
    urls = ["/online/profile/edit/"] if who != "anonymous" else ["/register/natural/", "/register/legal/"]
    for url in urls:
        text = client.get(url).content.decode()
        assert "---------" not in text, text[max(0, text.find("---------") - 300):text.find("---------") + 50]
        assert re.search(r'<option value=""[^>]*>-请选择-</option>', text)


def test_an_organisation_with_missing_data_is_told_and_rechecking_asks_for_it(client):
    account = factories.legal_account(name="迁移来的企业")
    org = account.organisation
    org.lr_name, org.agent_name = "", ""
    org.save()
    client.force_login(account)
    page = client.get("/online/profile/").content.decode()
    assert "用户信息不全,请及时补充!" in page and "法定代表人姓名、" in page and "主代办人姓名" in page
    client.post("/online/verification/check/")
    account.refresh_from_db()
    assert account.realname_reason.startswith("用户信息不全,请先在“修改法人信息”中补充:法定代表人姓名")
    assert "未查询到" not in account.realname_reason
