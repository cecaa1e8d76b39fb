import pytest


@pytest.fixture
def page(browser):
    """A fresh browser context (its own cookies) for pages served by the real servers."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()
