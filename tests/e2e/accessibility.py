"""axe-core (npm, tests/e2e/axe/) in the browser tests: WCAG 2.1 A and AA, zero violations, in both
languages.

The platform's Content-Security-Policy forbids inline scripts, so axe is evaluated through the
browser's debugging protocol (page.evaluate), which the policy does not govern.
"""

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Protocol steps redirect to business systems (and would spend codes again); the captcha image is
# not a page; Django's admin is Django's.
NOT_PAGES = ("/oidc/", "/cas/", "/captcha/", "/admin/", "/favicon.ico", "/static/")
MOST_PAGES_PER_CONTEXT = 60
LANGUAGES = ("zh-hans", "en")


@cache
def _source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `npm ci` in tests/e2e/axe (make test does)")
    return AXE.read_text()


def violations(page) -> list[str]:
    """What axe-core finds on the page as it is now, one line per rule."""
    page.evaluate(_source())
    return page.evaluate("""async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
        .violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
                              v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))""", WCAG_TAGS)


def is_page(url: str, origin: str) -> bool:
    return url.startswith(origin) and not urlsplit(url).path.startswith(NOT_PAGES)


def check_again(context, urls: list[str], origin: str) -> list[str]:
    """Open each visited page of the platform again in the context (its cookies, its state at the
    end of the test), in Chinese and then in English (the header switch's cookie), and return the
    violations found, prefixed by the language and the path."""
    pages = [url for url in urls if is_page(url, origin)][:MOST_PAGES_PER_CONTEXT]
    if not pages:
        return []
    checker, problems = context.new_page(), []
    try:
        for language in LANGUAGES:
            context.add_cookies([{"name": "django_language", "value": language, "url": origin}])
            for url in pages:
                try:
                    checker.goto(url, wait_until="load")
                except Error:
                    continue  # e.g. a one-time link that now answers with a download or an aborted request
                if not is_page(checker.url, origin):
                    continue
                path = urlsplit(checker.url).path
                problems += [f"[{language}] {path}: {found}" for found in violations(checker)]
    finally:
        checker.close()
    return problems
