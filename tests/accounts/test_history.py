"""信息更新记录: every change to an organisation's data, with numbers masked."""

import pytest

from idp.accounts.models import OrganisationChange
from tests import factories

pytestmark = pytest.mark.django_db


def test_changes_are_recorded_with_masked_numbers(client):
    account = factories.legal_account("hist_org")
    org = account.organisation
    old_number = org.lr_id_number
    client.force_login(account)
    form = client.get("/online/profile/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    new_number = factories.resident_id(seq="432")
    data.update({"short_name": "新简称", "lr_id_number": new_number, "lr_mobile": "13600009999",
                 "email": "new@example.cn"})
    assert client.post("/online/profile/edit/", data).status_code == 302
    change = OrganisationChange.objects.get()
    fields = {item["field"]: item for item in change.changes}
    assert change.actor == account
    assert fields["short_name"]["new"] == "新简称" and fields["short_name"]["label"] == "单位简称"
    assert fields["lr_id_number"] == {"field": "lr_id_number", "label": "法定代表人证件号码",
                                      "old": "******" + old_number[-4:], "new": "******" + new_number[-4:]}
    assert fields["lr_mobile"]["new"] == "13*****999" and fields["email"]["new"] == "new@example.cn"
    assert "lr_id_index" not in fields
    page = client.get("/online/profile/history/").content.decode()
    assert "信息更新记录" in page and "新简称" in page and "******" + new_number[-4:] in page
    assert new_number not in page and old_number not in page


def test_saving_without_changes_records_nothing(client):
    account = factories.legal_account()
    client.force_login(account)
    form = client.get("/online/profile/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"email": ""})
    client.post("/online/profile/edit/", data)
    assert not OrganisationChange.objects.exists()


def test_history_is_for_organisations_and_only_their_own(client):
    client.force_login(factories.natural_account())
    assert client.get("/online/profile/history/").status_code == 403  # 无权限 (CONTRACT), not a missing page
