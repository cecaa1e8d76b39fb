"""Issue 11 (informational): names with control or format characters (U+202E reorders what
is shown) are refused in every name field, with the field named and the input kept."""

import pytest

from idp.accounts.models import Account
from idp.identifiers import validators
from tests import factories
from tests.accounts.test_registration import errors_of, legal_data, natural_data

pytestmark = pytest.mark.django_db

TRICKS = ["张\u202e三", "张\u200b三", "张\x07三", "张\u2028三", "\ufeff张三"]


@pytest.mark.parametrize("name", TRICKS)
def test_the_validator_refuses_invisible_characters(name):
    with pytest.raises(validators.InvalidIdentifier):
        validators.display_name(name)


def test_ordinary_names_pass():
    for name in ("张三", "阿卜杜·热合曼", "O'Brien-Smith", "示例科技(北京)有限公司", "Müller GmbH"):
        assert validators.display_name(f" {name}\u3000") == name


def test_natural_registration_names_the_field_and_keeps_input(client):
    response = client.post("/register/natural/", natural_data(client, name="张\u202e三"))
    assert "名称中不能包含控制字符" in errors_of(response)["name"][0]
    assert 'value="zhang_san"' in response.content.decode()
    assert not Account.objects.exists()


@pytest.mark.parametrize("field", ["org_name", "lr_name", "agent_name"])
def test_legal_registration_names(client, field):
    response = client.post("/register/legal/", legal_data(client, **{field: "示例\u202e公司"}))
    assert field in errors_of(response)
    assert not Account.objects.exists()


def test_profile_edit_refuses_them_too(client):
    account = factories.natural_account("rtl_user")
    client.force_login(account)
    response = client.post("/online/profile/edit/", {
        "name": "王\u202e小明", "identity_type": "mainland", "id_type": "resident_id",
        "id_number": account.person.id_number})
    assert "名称中不能包含控制字符" in response.content.decode()
    account.person.refresh_from_db()
    assert account.person.name == "测试用户"
