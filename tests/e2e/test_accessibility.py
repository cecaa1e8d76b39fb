"""WCAG 2.1 A/AA with axe-core: the checker finds what it should, and the pages a person reaches
from the header and the left menu — signed out and signed in — are visited (and so checked by the
`new_page` fixture, tests/e2e/accessibility.py)."""

import pytest

from tests import factories
from tests.e2e import accessibility
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_checker_reports_an_unlabelled_field_and_low_contrast(page):
    page.set_content('<html lang="zh-CN"><title>t</title><main><input type="text">'
                     '<p style="color:#ccc;background:#fff">浅色文字</p></main></html>')
    found = " ".join(accessibility.violations(page))
    assert "label" in found and "color-contrast" in found


def test_every_page_of_the_header_and_the_menus_is_visited(page):
    factories.demo_systems()
    for url in ["/", "/services/", "/services/?kind=legal", "/notices/", "/consult/", "/results/", "/search/?q=高企",
                "/migration/lookup/", "/login/", "/register/", "/register/natural/", "/register/legal/",
                "/password/forgot/", "/password/reset/", "/no/such/page/"]:
        page.goto(url)
        assert not accessibility.violations(page), url
    factories.natural_account("axe_user", name="无障碍")
    log_in(page, "自然人登录", "axe_user", factories.PASSWORD)
    for link in ["我的信息", "我的关注", "我要办理", "我的事项", "我的评价", "我的咨询"]:
        page.get_by_role("link", name=link, exact=True).first.click()
        assert not accessibility.violations(page), link
