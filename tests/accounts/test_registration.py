"""Registration of both kinds through the pages (Django test client)."""

import pytest

from idp.accounts.models import Account, RealNameStatus
from tests import factories
from tests.factories import last_code

pytestmark = pytest.mark.django_db


def natural_data(client, **overrides):
    data = {
        "login_name": "zhang_san",
        "password": "Kz9vBq2wLm",
        "password_confirm": "Kz9vBq2wLm",
        "name": "张三",
        "identity_type": "mainland",
        "id_type": "resident_id",
        "id_number": factories.resident_id(seq="271"),
        "phone": "13912340001",
        "agree": "on",
    }
    data.update(overrides)
    if "sms_code" not in data:
        client.post("/api/sms/send", {"phone": data["phone"], "purpose": "register"})
        data["sms_code"] = last_code(data["phone"], "register")
    return data


def legal_data(client, **overrides):
    data = {
        "login_name": "acme_tech",
        "password": "Kz9vBq2wLm!",
        "password_confirm": "Kz9vBq2wLm!",
        "org_name": "示例科技有限公司",
        "region_type": "domestic",
        "legal_type": "enterprise",
        "uscc": factories.uscc(),
        "lr_name": "李四",
        "lr_mobile": "13600001111",
        "lr_identity_type": "mainland",
        "lr_id_type": "resident_id",
        "lr_id_number": factories.resident_id(),
        "lr_id_valid_from": "2020-01-01",
        "lr_id_long_term": "on",
        "agent_name": "王五",
        "agent_mobile": "13700002222",
        "agent_identity_type": "hmt",
        "agent_id_type": "hk_macau_permit",
        "agent_id_number": "H12345678",
        "agent_id_valid_from": "2021-05-01",
        "agent_id_valid_to": "2031-04-30",
        "agree": "on",
    }
    data.update(overrides)
    if "agent_sms_code" not in data:
        client.post("/api/sms/send", {"phone": data["agent_mobile"], "purpose": "register_agent"})
        data["agent_sms_code"] = last_code(data["agent_mobile"], "register_agent")
    return data


def errors_of(response) -> dict:
    return response.context["form"].errors


def test_landing_offers_both_kinds(client):
    """/register/ explains the kinds and links to both forms."""
    page = client.get("/register/").content.decode()
    assert "自然人注册" in page and "单位用户(法人)注册" in page
    assert 'href="/register/natural/"' in page and 'href="/register/legal/"' in page


def test_natural_form_has_every_labelled_field(client):
    """Every field of SPEC 2.1 has a <label for> with the spec's label."""
    page = client.get("/register/natural/").content.decode()
    for field_id, label in [("id_login_name", "登录名"), ("id_password", "登录密码"),
                            ("id_password_confirm", "密码确认"), ("id_name", "姓名"),
                            ("id_id_type", "证件类型"), ("id_id_number", "证件号码"),
                            ("id_phone", "手机号码"), ("id_sms_code", "验证码")]:
        assert f'<label for="{field_id}">{label}</label>' in page
    assert "检索登录名是否已注册" in page and "检索证件号码是否已经存在" in page
    assert "《自然人实名注册协议》" in page and "获取验证码" in page
    for level in "弱中强":
        assert f">{level}</span>" in page


def test_natural_registration_succeeds(client):
    """A valid form creates the account, unverified, with the code spent."""
    data = natural_data(client)
    response = client.post("/register/natural/", data)
    assert response.status_code == 302 and response.url == "/register/done/"
    account = Account.objects.get(login_name="zhang_san")
    assert account.is_natural and account.phone == "13912340001"
    # Not in the reference registry: the automatic check ran and failed with a reason.
    assert account.realname_status == RealNameStatus.REGISTRY_FAILED
    assert "人工认证" in account.realname_reason
    assert account.person.name == "张三" and account.person.id_number == data["id_number"]
    assert account.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    done = client.get("/register/done/").content.decode()
    assert "zhang_san" in done and 'href="/login/"' in done


def test_sms_code_cannot_be_reused_for_a_second_registration(client):
    """The code was spent by the first registration."""
    data = natural_data(client)
    client.post("/register/natural/", data)
    response = client.post("/register/natural/", {**data, "login_name": "other_name"})
    assert "验证码已使用" in errors_of(response)["sms_code"][0]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"login_name": "张三"}, "login_name", "只能包含数字、字母和下划线"),
        ({"login_name": ""}, "login_name", "请输入登录名"),
        ({"password": "abcdefgh", "password_confirm": "abcdefgh"}, "password", "3 种"),
        ({"password": "Ab1!", "password_confirm": "Ab1!"}, "password", "8 位"),
        ({"password_confirm": "Abcdef13"}, "password_confirm", "不一致"),
        ({"name": ""}, "name", "请输入姓名"),
        ({"id_type": "driving_licence"}, "id_type", "未知的证件类型"),
        ({"id_type": "passport"}, "id_type", "不能选择"),
        ({"id_number": "11010519491231002A"}, "id_number", "前 17 位"),
        ({"id_number": "110105194912310021"}, "id_number", "校验位"),
        ({"id_number": "110105491231002"}, "id_number", "15 位"),
        ({"id_number": "110105299912310021"}, "id_number", "出生日期"),
        ({"phone": "12345678901", "sms_code": "123456"}, "phone", "手机号码"),
        ({"sms_code": "000000x"}, "sms_code", "6"),
        ({"agree": ""}, "agree", "《自然人实名注册协议》"),
    ],
)
def test_natural_registration_errors_name_the_field_and_keep_input(client, overrides, field, message):
    """Each bad input is reported on its own field; everything typed is shown again."""
    data = natural_data(client, **overrides)
    response = client.post("/register/natural/", data)
    assert response.status_code == 200
    assert any(message in error for error in errors_of(response)[field])
    page = response.content.decode()
    assert f'value="{data["name"]}"' in page or not data["name"]
    if field != "login_name":
        assert f'value="{data["login_name"]}"' in page
    assert not Account.objects.exists()


def test_wrong_sms_code(client):
    """A wrong code is reported on the code field and nothing is created."""
    data = natural_data(client)
    data["sms_code"] = f"{(int(data['sms_code']) + 1) % 10**6:06d}"
    response = client.post("/register/natural/", data)
    assert errors_of(response)["sms_code"] == ["短信验证码错误"]
    assert not Account.objects.exists()


def test_login_name_taken_case_insensitively(client):
    """ZHANG_SAN is taken when zhang_san exists, across both kinds."""
    factories.legal_account("zhang_san")
    response = client.post("/register/natural/", natural_data(client, login_name="ZHANG_SAN"))
    assert errors_of(response)["login_name"] == ["该登录名已注册,请更换登录名"]
    assert Account.objects.count() == 1


def test_taken_login_name_does_not_spend_the_code(client):
    """After the 已注册 error the same SMS code still works with another name."""
    factories.natural_account("zhang_san")
    data = natural_data(client)
    client.post("/register/natural/", data)
    response = client.post("/register/natural/", {**data, "login_name": "zhang_san2"})
    assert response.status_code == 302
    assert Account.objects.filter(login_name="zhang_san2").exists()


def test_same_document_may_register_a_second_account(client):
    """SPEC 2.1: one document can register several accounts (only verification is limited)."""
    number = factories.resident_id(seq="555")
    factories.natural_account("first_one", id_number=number)
    response = client.post("/register/natural/", natural_data(client, id_number=number))
    assert response.status_code == 302


def test_send_code_button_without_scripts_keeps_the_form(client):
    """The 获取验证码 submit button sends a code and shows the form again as typed."""
    data = natural_data(client, sms_code="")
    factories.outbox_messages()
    response = client.post("/register/natural/", {**data, "phone": "13912349999",
                                                   "send_code": "phone"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "验证码已发送" in page and 'value="zhang_san"' in page and 'value="张三"' in page
    assert last_code("13912349999", "register")
    assert not Account.objects.exists()


def test_send_code_button_reports_a_bad_phone(client):
    response = client.post("/register/natural/", {"phone": "123", "send_code": "phone"})
    assert "请输入 11 位中国大陆手机号码" in response.content.decode()


def test_legal_form_has_every_labelled_field(client):
    """Every field of SPEC 2.2 has a <label for> with the manual's label."""
    page = client.get("/register/legal/").content.decode()
    for field_id, label in [("id_login_name", "登录名"), ("id_password", "密码"),
                            ("id_password_confirm", "重复密码"), ("id_org_name", "法人单位名称"),
                            ("id_uscc", "统一社会信用代码"), ("id_lr_name", "法定代表人姓名"),
                            ("id_lr_mobile", "法定代表人手机号码"),
                            ("id_lr_id_type", "法定代表人证件类型"),
                            ("id_lr_id_number", "法定代表人证件号码"),
                            ("id_agent_name", "主代办人姓名"), ("id_agent_mobile", "主代办人手机号码"),
                            ("id_agent_sms_code", "主代办人手机号验证码"),
                            ("id_agent_id_type", "主代办人证件类型"),
                            ("id_agent_id_number", "主代办人证件号码")]:
        assert f'<label for="{field_id}">{label}</label>' in page, label
    for text in ["注册单位类型", "境内单位", "港澳台地区单位", "境外单位", "企业法人", "社会组织法人",
                 "事业单位法人", "检索单位是否已经存在", "检索统一社会信用代码是否已经存在",
                 "《法人实名注册协议》", "法定代表人证件有效期", "长期有效"]:
        assert text in page, text


def test_legal_registration_succeeds(client):
    """The organisation, its legal representative and main agent are stored; the agent's
    mobile is the reserved phone."""
    data = legal_data(client)
    response = client.post("/register/legal/", data)
    assert response.status_code == 302, errors_of(response)
    account = Account.objects.get(login_name="acme_tech")
    org = account.organisation
    assert account.is_legal and account.phone == "13700002222"
    assert org.uscc == data["uscc"] and org.lr_id_long_term and org.lr_id_valid_to is None
    assert org.agent_id_number == "H12345678" and org.agent_id_type == "hk_macau_permit"


def test_domestic_unit_needs_a_valid_uscc(client):
    response = client.post("/register/legal/", legal_data(client, uscc=""))
    assert errors_of(response)["uscc"] == ["境内单位必须填写统一社会信用代码"]
    response = client.post("/register/legal/", legal_data(client, uscc="91110108MA01ET88XA",
                                                          agent_sms_code="000000"))
    assert "校验位" in errors_of(response)["uscc"][0]


def test_foreign_unit_gives_its_registration_number(client):
    """Units outside the mainland register without a USCC, with their own number."""
    response = client.post("/register/legal/", legal_data(client, region_type="foreign", uscc="",
                                                          registration_number=""))
    assert "注册登记号码" in errors_of(response)["registration_number"][0]
    data = legal_data(client, region_type="foreign", uscc="", registration_number="HRB 12345",
                      agent_sms_code=None)
    del data["agent_sms_code"]
    data["agent_sms_code"] = last_code("13700002222", "register_agent")
    response = client.post("/register/legal/", data)
    assert response.status_code == 302
    org = Account.objects.get(login_name="acme_tech").organisation
    assert org.uscc is None and org.registration_number == "HRB 12345"


def test_uscc_held_by_another_legal_account(client):
    """An organisation has at most one legal account; the message points to the appeal."""
    code = factories.uscc()
    factories.legal_account(code=code)
    response = client.post("/register/legal/", legal_data(client, uscc=code))
    assert "法人申诉" in errors_of(response)["uscc"][0]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"lr_id_valid_from": "2020-01-01", "lr_id_long_term": ""}, "lr_id_valid_to", "长期有效"),
        ({"agent_id_valid_to": "2020-01-01"}, "agent_id_valid_to", "晚于起始日期"),
        ({"agent_id_valid_from": "2021-13-45"}, "agent_id_valid_from", "日期格式"),
        ({"lr_identity_type": "other"}, "lr_id_type", "不能选择"),
        ({"agent_id_number": "K1234"}, "agent_id_number", "H 或 M"),
        ({"lr_mobile": "1234"}, "lr_mobile", "手机号码"),
        ({"region_type": "moon"}, "region_type", ""),
        ({"agree": ""}, "agree", "《法人实名注册协议》"),
    ],
)
def test_legal_registration_errors(client, overrides, field, message):
    response = client.post("/register/legal/", legal_data(client, **overrides))
    assert response.status_code == 200
    assert any(message in error for error in errors_of(response)[field])
    assert 'value="示例科技有限公司"' in response.content.decode()
    assert not Account.objects.exists()


def test_done_page_says_where_the_realname_check_stands_and_what_to_do_next(client):
    client.post("/register/natural/", natural_data(client))  # not in the reference registry: failed
    page = client.get("/register/done/").content.decode()
    assert "国家平台实名认证未通过" in page and "上传材料" in page and "重新核验" in page
    assert 'href="/login/?tab=natural&amp;next=/online/profile/"' in page


def test_done_page_while_the_check_is_still_under_way(client, queued):
    client.post("/api/sms/send", {"phone": "13912340001", "purpose": "register"})
    queued.run()
    client.post("/register/natural/", natural_data(client, name="邵英文", id_number="370404195104156557"))
    assert "正在向国家平台核验" in client.get("/register/done/").content.decode()
    queued.run()  # the worker asks the registry
    assert "已通过国家平台实名认证" in client.get("/register/done/").content.decode()


def test_done_page_needs_a_registration(client):
    assert client.get("/register/done/").url == "/register/"
