"""Browser journey: an organisation authorises a person for 高企认定 and 科小企评价; the person
declines one, the organisation revokes the other, each after a confirmation step."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.screens import shot
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grant_seen_by_the_person_then_revoked(new_page):
    factories.demo_systems()
    factories.verified(factories.legal_account("acme_grant", name="示例授权科技有限公司"))
    person = factories.verified(factories.natural_account("zhou_min", name="周敏",
                                                          id_number=factories.resident_id(seq="735")))
    suffix = person.person.id_number[-4:]

    org_page = new_page()
    log_in(org_page, "法人登录", "acme_grant", factories.PASSWORD)
    org_page.get_by_role("link", name="用户授权管理").click()
    org_page.get_by_label("被授权人登录名").fill("zhou_min")
    org_page.get_by_label("被授权人姓名").fill("周敏")
    org_page.get_by_label("证件号码后四位").fill(suffix)
    org_page.get_by_label("高企认定").check()
    org_page.get_by_label("科小企评价").check()
    org_page.get_by_role("button", name="授权", exact=True).click()
    expect(org_page.locator(".notice-success")).to_contain_text("已授权 周敏 代办:")
    for system in ("高企认定", "科小企评价"):
        expect(org_page.locator(".notice-success")).to_contain_text(system)
    expect(org_page.locator("table")).to_contain_text("高企认定")

    person_page = new_page()
    log_in(person_page, "自然人登录", "zhou_min", factories.PASSWORD)
    person_page.get_by_role("link", name="我的信息").click()
    grants = person_page.locator("#grants")
    expect(grants).to_contain_text("示例授权科技有限公司")
    expect(grants).to_contain_text("高企认定")
    # 拒绝 asks first (a second page, no JavaScript needed); 取消 changes nothing.
    grants.get_by_role("row", name="科小企评价").get_by_role("button", name="拒绝").click()
    expect(person_page.get_by_text("确认拒绝 示例授权科技有限公司 授权您办理“科小企评价”?")).to_be_visible()
    shot(person_page, "09-decline-confirm")
    person_page.get_by_role("link", name="取消").click()
    expect(grants).to_contain_text("科小企评价")
    grants.get_by_role("row", name="科小企评价").get_by_role("button", name="拒绝").click()
    person_page.get_by_role("button", name="确认拒绝").click()
    expect(person_page.locator(".notice-success")).to_contain_text("已拒绝该授权")
    expect(grants).not_to_contain_text("科小企评价")

    org_page.get_by_role("row", name="高企认定").get_by_role("button", name="撤销授权").click()
    expect(org_page.get_by_role("heading", name="撤销授权")).to_be_visible()  # asked to confirm first
    shot(org_page, "09-revoke-confirm")
    org_page.get_by_role("button", name="确认撤销授权").click()
    expect(org_page.locator(".notice-success")).to_contain_text("授权已撤销")

    person_page.reload()
    expect(person_page.locator("#grants")).to_contain_text("暂无法人单位授权您代办业务")
    expect(person_page.locator("#grants")).not_to_contain_text("示例授权科技有限公司")
