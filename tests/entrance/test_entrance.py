"""服务事项, 办理入口 and the 在线办事 lists (我的关注, 我要办理, 我的事项)."""

import pytest
from django.test import Client

from idp.catalogue.models import ServiceItem, SystemVisit
from idp.delegation import services as delegation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def systems():
    return factories.demo_systems()


def item(name):
    return ServiceItem.objects.get(name=name)


def test_catalogue_lists_demo_items_by_user_kind(client, systems):
    legal = client.get("/services/", {"kind": "legal"}).content.decode()
    natural = client.get("/services/", {"kind": "natural"}).content.decode()
    assert "高新技术企业认定申报" in legal and "科技型中小企业评价信息填报" in legal
    assert "国家重点研发计划项目申报" not in legal
    assert "国家重点研发计划项目申报" in natural and "高新技术企业认定申报" not in natural
    assert "法人单位" in legal and "自然人" in legal  # the 按用户 tabs


def test_search_by_name(client, systems):
    page = client.get("/services/", {"kind": "legal", "q": "更名"}).content.decode()
    assert "高新技术企业更名申请" in page and "高新技术企业认定申报" not in page
    empty = client.get("/services/", {"kind": "legal", "q": "不存在的事项"}).content.decode()
    assert "没有找到名称包含“不存在的事项”的服务事项" in empty


def test_item_page_has_its_entrance(client, systems):
    target = item("高新技术企业认定申报")
    page = client.get(f"/services/{target.pk}/").content.decode()
    assert "高企认定" in page and f'href="/services/{target.pk}/enter/"' in page and "办理入口" in page
    assert client.get("/services/999999/").status_code == 404


def test_anonymous_user_is_told_to_log_in_at_the_right_window(client, systems):
    target = item("高新技术企业认定申报")
    page = client.get(f"/services/{target.pk}/enter/").content.decode()
    assert "“法人登录”窗口登录" in page
    assert f"/login/?tab=legal&amp;next=%2Fservices%2F{target.pk}%2Fenter%2F" in page
    # 高企认定 is delegable: a person the unit authorised is offered the other window, and told why
    assert "经单位授权代办的个人" in page and "用户授权管理" in page
    assert f'href="/login/?tab=natural&amp;next=%2Fservices%2F{target.pk}%2Fenter%2F">代单位办理:前往自然人登录' in page


def test_wrong_kind_is_told_what_to_do(client, systems):
    client.force_login(factories.verified(factories.natural_account()))
    page = client.get(f"/services/{item('高新技术企业认定申报').pk}/enter/").content.decode()
    assert "该事项面向法人单位" in page and "用户授权管理" in page and "退出并前往法人登录" in page
    client.force_login(factories.verified(factories.legal_account()))
    page = client.get(f"/services/{item('国家重点研发计划项目申报').pk}/enter/").content.decode()
    assert "该事项面向自然人" in page and "自然人登录" in page


def test_switch_account_logs_out_and_goes_to_the_other_window(client, systems):
    client.force_login(factories.natural_account())
    response = client.post("/services/switch-account/", {"next": "/login/?tab=legal"})
    assert response.url == "/login/?tab=legal" and "_auth_user_id" not in client.session
    assert client.post("/services/switch-account/", {"next": "https://evil.example/"}).url == "/login/"


def test_unverified_user_is_sent_to_verify(client, systems):
    client.force_login(factories.legal_account())
    page = client.get(f"/services/{item('高新技术企业认定申报').pk}/enter/").content.decode()
    assert "需要先完成实名认证" in page and 'href="/online/profile/"' in page
    assert not SystemVisit.objects.exists()


def test_verified_user_enters_and_it_is_recorded(client, systems):
    account = factories.verified(factories.legal_account())
    client.force_login(account)
    target = item("高新技术企业认定申报")
    page = client.get(f"/services/{target.pk}/enter/").content.decode()
    assert "进入业务系统" in page
    entered = client.post(f"/services/{target.pk}/enter/", {"acting_for": "self"})
    assert entered.status_code == 302 and entered["Location"] == "http://127.0.0.1:8001/apply"
    client.post(f"/services/{item('科技型中小企业评价信息填报').pk}/enter/", {"acting_for": "self"})
    visits = list(SystemVisit.objects.filter(account=account))
    assert [v.system.code for v in visits] == ["kxqpj", "gqrd"]  # newest first
    page = client.get("/online/matters/").content.decode()
    assert page.index("科小企评价") < page.index("高企认定")


def test_entering_a_system_that_needs_no_verification(client, systems):
    system = systems["kjjhsb"]
    system.requires_realname = False
    system.save()
    client.force_login(factories.natural_account())
    response = client.post(f"/services/{item('项目任务书填报').pk}/enter/", {"acting_for": "self"})
    page = response.content.decode()
    assert "尚未登记访问地址" in page and "notice-warning" in page  # a dead end, not a success


def test_an_item_without_an_address_is_not_counted_as_handled(client, systems):
    """Issue 25: items with no business-system address appeared in 我的事项 and could be rated."""
    systems["kjjhsb"].requires_realname = False
    systems["kjjhsb"].save()
    client.force_login(factories.natural_account())
    client.post(f"/services/{item('项目任务书填报').pk}/enter/", {"acting_for": "self"})
    assert not SystemVisit.objects.exists()
    assert "项目任务书填报" not in client.get("/online/matters/").content.decode()


def test_authorised_person_chooses_whom_to_act_for(client, systems):
    """A person authorised for 高企认定 may enter its organisation items, for that organisation only."""
    org = factories.verified(factories.legal_account(name="甲公司"))
    other = factories.verified(factories.legal_account(name="乙公司"))
    person = factories.verified(factories.natural_account())
    delegation.create_grants(organisation=org, person=person, systems=[systems["gqrd"]], expires_on=None,
                             actor=org)
    client.force_login(person)
    target = item("高新技术企业认定申报")
    page = client.get(f"/services/{target.pk}/enter/").content.decode()
    assert "代 <strong>甲公司</strong> 办理" in page and "乙公司" not in page
    assert client.post(f"/services/{target.pk}/enter/", {"acting_for": str(other.pk)}).status_code == 200
    assert not SystemVisit.objects.exists()  # not one of the offered identities
    client.post(f"/services/{target.pk}/enter/", {"acting_for": str(org.pk)})
    assert SystemVisit.objects.get().acting_for == org
    assert "代 甲公司" in client.get("/online/matters/").content.decode()
    assert "高新技术企业认定申报" in client.get("/online/apply/").content.decode()


def test_authorised_person_also_acts_for_themselves_where_the_system_admits_them(client, systems):
    org = factories.verified(factories.legal_account(name="丙公司"))
    person = factories.verified(factories.natural_account())
    delegation.create_grants(organisation=org, person=person, systems=[systems["hgrag"]], expires_on=None,
                             actor=org)
    client.force_login(person)
    page = client.get(f"/services/{item('人类遗传资源行政许可审批进度查询').pk}/enter/").content.decode()
    assert "以本人身份办理" in page and "代 <strong>丙公司</strong> 办理" in page


def test_follow_and_unfollow(client, systems):
    client.force_login(factories.natural_account())
    target = item("国家重点研发计划项目申报")
    assert "没有关注的服务事项" in client.get("/online/").content.decode()
    client.post(f"/services/{target.pk}/follow/", {"follow": "1"})
    client.post(f"/services/{target.pk}/follow/", {"follow": "1"})  # twice is still once
    page = client.get("/online/").content.decode()
    assert page.count("国家重点研发计划项目申报") == 1
    client.post(f"/services/{target.pk}/follow/", {"follow": "0", "next": "/online/"})
    assert "没有关注的服务事项" in client.get("/online/").content.decode()
    assert Client().post(f"/services/{target.pk}/follow/", {"follow": "1"}).status_code == 302


def test_apply_lists_what_the_account_may_enter(client, systems):
    client.force_login(factories.legal_account())
    page = client.get("/online/apply/").content.decode()
    assert "高新技术企业认定申报" in page and "国家重点研发计划项目申报" not in page
    client.force_login(factories.natural_account())
    page = client.get("/online/apply/").content.decode()
    assert "国家重点研发计划项目申报" in page and "高新技术企业认定申报" not in page


def test_inactive_items_are_hidden(client, systems):
    target = item("高新技术企业认定申报")
    target.is_active = False
    target.save()
    assert "高新技术企业认定申报" not in client.get("/services/", {"kind": "legal"}).content.decode()
    assert client.get(f"/services/{target.pk}/enter/").status_code == 404


def test_demo_loader_is_idempotent(systems):
    from idp.demo import catalogue as demo

    assert demo.load() == []
    assert ServiceItem.objects.count() == sum(len(spec["items"]) for spec in demo.SYSTEMS)


def test_operator_registers_a_business_system_in_admin(client, systems):
    """系统管理: an operator adds a system with a service item; the catalogue lists it."""
    operator = factories.natural_account("operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    factories.sign_in(client, operator)
    assert client.get("/admin/catalog/businesssystem/").status_code == 200
    response = client.post("/admin/catalog/businesssystem/add/", {
        "name": "科技成果登记", "code": "kjcgdj", "protocol": "oidc", "requires_realname": "on",
        "allow_natural": "on", "allow_legal": "on", "entrance_url": "cgdj.example.gov.cn", "description": "",
        "is_active": "on",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000", "items-0-name": "科技成果登记申请", "items-0-user_kind": "legal",
        "items-0-entrance_path": "/register", "items-0-sort_order": "10", "items-0-is_active": "on",
    })
    assert response.status_code == 302, response.context["adminform"].form.errors
    from idp.catalogue.models import BusinessSystem

    assert BusinessSystem.objects.get(code="kjcgdj").entrance_url == "https://cgdj.example.gov.cn"
    assert "科技成果登记申请" in client.get("/services/", {"kind": "legal"}).content.decode()
