import threading

import pytest
from django.conf import settings
from django.test.testcases import LiveServerThread

from tests.e2e import accessibility


def _serialized(static_handler):
    """On SQLite the live server's threads share the test's one in-memory connection; two
    requests at once (a page's two evidence images) would meet shared-cache table locks. Serve
    one request at a time there — PostgreSQL runs the same journeys fully concurrent."""
    lock = threading.Lock()

    def make(inner):
        handler = static_handler(inner)

        def app(environ, start_response):
            with lock:
                result = handler(environ, start_response)
                try:
                    return [b"".join(result)]
                finally:
                    if hasattr(result, "close"):
                        result.close()
        return app
    return make


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    _original_init = LiveServerThread.__init__

    def _init(self, host, static_handler, *args, **kwargs):
        _original_init(self, host, _serialized(static_handler), *args, **kwargs)

    LiveServerThread.__init__ = _init


@pytest.fixture
def language():
    """The language a test's pages are read in: Chinese, unless the test is parametrized with "en"
    (then the language cookie the header's switch sets is in every context it opens)."""
    return "zh-hans"


@pytest.fixture
def t(language):
    """The page text a Chinese source string is shown as in the test's language."""
    from django.utils import translation

    def shown(source: str) -> str:
        with translation.override(language):
            return translation.gettext(source)

    return shown


@pytest.fixture
def new_page(browser, live_server, language):
    """Open a page in a fresh browser context (its own cookies: another person); all are
    closed before the live server stops, so no request is left in flight.

    Every page of the platform a test visits is then checked with axe-core against WCAG 2.1 A
    and AA (tests/e2e/accessibility.py): opened again in the same context once the test is
    done, in Chinese and in English, and any violation fails the test."""
    contexts, visited = [], {}

    def make():
        context = browser.new_context(base_url=live_server.url, locale="zh-CN")
        if language != "zh-hans":
            context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("load", lambda loaded: visited.setdefault(context, {}).setdefault(loaded.url, None))
        return page

    yield make
    problems = []
    try:
        for context in contexts:
            for open_page in context.pages:
                open_page.wait_for_load_state("networkidle")
            problems += accessibility.check_again(context, list(visited.get(context, {})), live_server.url)
    finally:
        for context in contexts:
            context.close()
    assert not problems, "WCAG 2.1 A/AA violations (axe-core):\n" + "\n".join(problems)


@pytest.fixture
def page(new_page):
    return new_page()
