"""我的信息 → 登录设备 in a real browser, in both languages: two browsers signed in as one person;
退出其他设备 in the first signs the second out. Every page visited is checked with axe (conftest)."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_logging_out_the_other_devices(new_page, t):
    factories.natural_account("two_devices", name="赵六")
    laptop, phone = new_page(), new_page()
    for browser in (laptop, phone):
        log_in(browser, "自然人登录", "two_devices", factories.PASSWORD, t)
        expect(browser.locator(".user-box")).to_contain_text(t("退出登录"))
    laptop.goto("/online/profile/")
    laptop.get_by_role("link", name=t("登录设备")).click()
    rows = laptop.locator("table.data-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=t("本设备"))).to_have_count(1)
    laptop.get_by_role("button", name=t("退出其他设备")).focus()
    laptop.keyboard.press("Enter")  # by keyboard
    expect(rows).to_have_count(1)
    phone.goto("/online/profile/")
    expect(phone.get_by_role("tab", name=t("自然人登录"))).to_be_visible()  # signed out: the login page
    laptop.get_by_role("link", name=t("登录记录")).click()
    expect(laptop.locator("table.data-table tbody tr")).to_have_count(2)
