import pytest

from tests.e2e.conftest import browser  # noqa: F401  (the session's Chromium; sets DJANGO_ALLOW_ASYNC_UNSAFE)


@pytest.fixture
def page(browser):  # noqa: F811
    """A fresh browser context (its own cookies) for pages served by the real servers."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()
