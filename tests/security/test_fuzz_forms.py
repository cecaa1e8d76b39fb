"""Issue 25: a bounded fuzz run over every browser form and page query the platform serves, as
a visitor, a person, an organisation and a reviewer would reach them, through config.wsgi —
asserting that no request gets a 5xx. The forms are found by crawling the pages (so a new form
is covered without being listed here), then posted with hostile values (NUL bytes, lone
surrogates, bytes that are not UTF-8, absurd lengths, paths that are not paths) beside valid
ones, with a valid CSRF token so the views themselves are reached. Deterministic (fixed seed);
IDP_FUZZ_FORM_CASES sets the count."""

import os
import random
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.conf import settings

from tests import factories
from tests.sso import helpers
from tests.wsgi import ProductionClient

pytestmark = pytest.mark.django_db

CASES = int(os.environ.get("IDP_FUZZ_FORM_CASES", "1500"))
PAGES_PER_ROLE = 120
NOT_CRAWLED = ("/admin/", "/logout/", "/static/", "/captcha/audio/", "/i18n/")

VALUES = ["", "\x00", "a\x00b", "é", "%", "💥", "x" * 3000, "' OR 1=1 --", "<script>alert(1)</script>", "x",
          "/", "//evil.example/", "https://evil.example/", "javascript:alert(1)", "/online/", "-1", "0",
          "99999999999999999999999", "true", "1", "on", "PASSED", "natural", "legal", "self", "approve",
          "reject", "2026-13-45", "1990-01-01", "\u202e", "\t\n", "13900139000", "91110108MA01ET88XL",
          "110105199001010011", "resident_id", "mainland", "enterprise", "Passw0rd!x", "　", "null", "{}"]
RAW = ["%ff", "%ed%a0%80", "%c3%28", "%00", "%", "%zz", "%e2%80%ae", "+", "&&", "=="]


class _Page(HTMLParser):
    """The forms (action, method, fields with their page values) and the links of a page."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            if attrs.get("type") != "file":
                self._form["fields"].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _roles():
    person = factories.verified(factories.natural_account("fuzz_person", name="张三"))
    organisation = factories.verified(factories.legal_account("fuzz_org"))
    reviewer = factories.staff("fuzz_reviewer")
    return {"visitor": None, "person": person, "organisation": organisation, "reviewer": reviewer}


def _client(account):
    client = ProductionClient(raise_request_exception=False)
    if account is not None:
        client.force_login(account)
        session = client.session
        session["mfa_at"] = session.get("mfa_at") or 1e12  # a reviewer's second factor, as after login
        session.save()
    return client


def _crawl(client) -> tuple[list[tuple[str, dict]], list[str]]:
    """(page, form) pairs and the page addresses reached from / and the pages every role has."""
    queue = ["/", "/login/", "/register/", "/register/natural/", "/register/legal/", "/recovery/",
             "/online/", "/online/profile/", "/console/", "/legacy/lookup/", "/search/?q=高企"]
    seen, forms = set(), []
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or path.startswith(NOT_CRAWLED) or urlsplit(url).netloc:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode("utf-8", "replace")
        assert "{#" not in html and "#}" not in html, f"a template comment shows on {url}"  # issue 25
        page = _Page()
        page.feed(html)
        for form in page.forms:
            action = urljoin(url, form["action"] or url)
            if not urlsplit(action).netloc and not urlsplit(action).path.startswith(NOT_CRAWLED):
                forms.append((url, {**form, "action": action}))
        queue.extend(urljoin(url, link).split("#")[0] for link in page.links)
    return forms, sorted(seen)


def _value(rng) -> str:
    if rng.random() < 0.15:
        return rng.choice(RAW)  # already encoded: bytes no browser would send
    value = rng.choice(VALUES)
    if rng.random() < 0.2:
        value += rng.choice(VALUES)
    return quote(value, safe="")


def _fuzzed(rng, fields: dict, token: str) -> str:
    parts = [f"csrfmiddlewaretoken={token}"]
    for name, value in fields.items():
        if name == "csrfmiddlewaretoken":
            continue
        roll = rng.random()
        if roll < 0.35:
            parts.append(f"{quote(name)}={quote(value, safe='')}")  # what the page put there
        elif roll < 0.9:
            parts.append(f"{quote(name)}={_value(rng)}")
    if rng.random() < 0.1:
        parts.append(f"{rng.choice(list(fields) or ['x'])}={_value(rng)}")  # a repeated field
    return "&".join(parts)


def test_no_form_or_page_query_gets_a_5xx():
    helpers.oidc_client("fuzz-rp")
    factories.demo_systems()
    rng = random.Random(20261206)
    targets, failures = [], []
    for role, account in _roles().items():
        client = _client(account)
        forms, pages = _crawl(client)
        targets += [(role, account, page, form) for page, form in forms]
        targets += [(role, account, page, None) for page in pages]
    assert len({form["action"] for *_, form in targets if form}) >= 20, "the crawl found too few forms"
    clients = {}
    for _ in range(CASES):
        role, account, page, form = rng.choice(targets)
        client = clients.get(role) or clients.setdefault(role, _client(account))
        if form is None:  # a page's query string
            query = "&".join(f"{name}={_value(rng)}" for name in rng.sample(
                ["q", "page", "tab", "next", "kind", "status", "account", "event", "since", "until", "item",
                 "ui_locales", "service", "error"], rng.randint(1, 4)))
            response = client.get(urlsplit(page).path + "?" + query)
            sent = query
        elif form["method"] == "post":
            sent = _fuzzed(rng, form["fields"], client._csrf_token())
            response = client.post(form["action"], sent, content_type="application/x-www-form-urlencoded")
        else:
            sent = _fuzzed(rng, form["fields"], "")
            response = client.get(urlsplit(form["action"]).path + "?" + sent)
        if response.status_code >= 500:
            failures.append((role, page, form and form["action"], sent[:300], response.status_code))
        if response.status_code in (301, 302) and account is not None and "/login/" in response.get("Location", ""):
            clients.pop(role)  # logged out by what was sent (a password change): a new session next time
    assert failures == [], sorted({(f[0], f[2] or f[1]) for f in failures})


def test_json_apis_refuse_what_is_not_text_with_a_4xx():
    """Issue 25 N3: a lone surrogate in the lookup API's JSON was a 500."""
    client = ProductionClient(raise_request_exception=False)
    for body in ['{"kind": "person", "mobile": "\\ud800", "captcha_0": "\\ud800", "captcha_1": "x"}',
                 '{"kind": "enterprise", "uscc": "\\u0000", "captcha_0": "a\\u0000", "captcha_1": "\\u0000"}',
                 '{"kind\\ud800": 1}']:
        response = client.post("/api/migration/lookup", body, content_type="application/json")
        assert response.status_code == 400, (body, response.status_code)
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # the body limit above every JSON API
