"""In English, no page says anything in Chinese: every page of every kind of user, and the error
messages of its forms, read through the test client with the English cookie. The data on the pages
(names, business systems, notices) is made English here, so any Chinese left is the platform's."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from idp.catalogue.models import BusinessSystem, ServiceItem
from idp.portal.models import Notice, Publication, Question
from idp.realname import services as realname
from tests import factories
from tests.factories import upload

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}


class VisibleText(HTMLParser):
    """What a reader sees or hears: text outside scripts and styles, and the labelling attributes.
    The language switch's 中文 (marked lang="zh-Hans") is meant to be Chinese."""

    def __init__(self):
        super().__init__()
        self.parts, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in {"input", "img", "meta", "link", "br", "hr", "source"}:
            self.stack.append((tag, attrs.get("lang", "")))
        if not self._skipped(attrs.get("lang", "")):
            self.parts += [value for name, value in attrs.items() if name in SHOWN_ATTRIBUTES and value]
            if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
                self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._skipped() and not any(tag in {"script", "style"} for tag, _ in self.stack):
            self.parts.append(data)

    def _skipped(self, lang=""):
        return lang.startswith("zh") or any(tag_lang.startswith("zh") for _, tag_lang in self.stack)


def chinese_on(response) -> list[str]:
    parser = VisibleText()
    parser.feed(response.content.decode())
    return [part.strip() for part in parser.parts if CHINESE.search(part)]


@pytest.fixture
def data(settings):
    """English names for everything the pages show from the database or the configuration."""
    settings.IDP_SITE_OWNER = "Government Service Platform"  # the operator's name, configured
    factories.demo_systems()
    BusinessSystem.objects.update(name=Concat(Value("System "), Cast("pk", CharField())), description="About it")
    ServiceItem.objects.update(name=Concat(Value("Item "), Cast("pk", CharField())), description="How to apply")
    person = factories.verified(factories.natural_account("alex", name="Alex Lee"))
    organisation = factories.legal_account("acme", name="Acme Ltd")
    organisation.organisation.lr_name, organisation.organisation.agent_name = "Lee Ming", "Wang Fang"
    organisation.organisation.save()
    submitter = factories.natural_account("submitter", name="Sam Doe")
    submission = realname.submit_documents(account=submitter, actor=submitter,
                                           files={"id_front": upload("f.png"), "id_back": upload("b.png")})
    reviewer = factories.staff("reviewer", name="Rita Review")
    notice = Notice.objects.create(title="Opening hours", body="Open every day.")
    result = Publication.objects.create(title="Approved projects", body="See the list.")
    Question.objects.create(account=person, body="Which documents?", answer="See the guide.", is_public=True)
    return {"person": person, "organisation": organisation, "reviewer": reviewer, "notice": notice,
            "result": result, "submission": submission, "item": ServiceItem.objects.first()}


def english(client, account=None):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if account is not None:
        factories.sign_in(client, account)
    return client


def untranslated(client, paths, method="get") -> dict:
    """Each page's Chinese, for the pages that have some."""
    found = {}
    for path in paths:
        response = getattr(client, method)(path, {}, follow=method == "post")
        assert response.status_code in {200, 400, 403, 404, 405, 410}, (path, response.status_code)
        assert response["Content-Language"] == "en", path
        if chinese := chinese_on(response):
            found[f"{method.upper()} {path}"] = chinese
    return found


ANONYMOUS_PAGES = ["/", "/notices/", "/consult/", "/search/?q=Item", "/results/", "/login/", "/login/?tab=legal",
                   "/register/", "/register/natural/", "/register/legal/", "/register/agreement/natural/",
                   "/register/agreement/legal/", "/services/", "/services/?kind=legal", "/password/forgot/",
                   "/password/reset/", "/password/appeal/person/", "/password/appeal/org/",
                   "/password/appeal/status/", "/password/set/not-a-token/", "/legacy/lookup/",
                   "/no-such-page/", "/oidc/authorize?client_id=nobody&response_type=code", "/oidc/logout"]
ANONYMOUS_FORMS = ["/login/", "/register/natural/", "/register/legal/", "/password/reset/",
                   "/password/appeal/person/", "/password/appeal/org/", "/password/appeal/status/",
                   "/legacy/lookup/"]


def test_every_page_a_visitor_sees_is_english(client, data):
    english(client)
    pages = [*ANONYMOUS_PAGES, f"/notices/{data['notice'].pk}/", f"/results/{data['result'].pk}/",
             f"/services/{data['item'].pk}/", f"/services/{data['item'].pk}/enter/"]
    assert untranslated(client, pages) == {}
    assert untranslated(client, ANONYMOUS_FORMS, "post") == {}  # every form sent empty: its error messages


def test_every_page_of_a_person_is_english(client, data):
    english(client, data["person"])
    forms = ["/online/profile/edit/", "/online/password/", "/online/verification/", "/consult/"]
    assert untranslated(client, forms, "post") == {}
    assert untranslated(client, [
        "/online/", "/online/apply/", "/online/matters/", "/online/ratings/", "/online/questions/", "/online/profile/",
        "/online/profile/edit/", "/online/profile/history/", "/online/password/", "/online/security/",
        "/online/devices/", "/online/profile/logins/", "/online/applications/", "/online/verification/",
        "/online/verification/sample/id_front/", "/consult/", "/services/",
        f"/services/{data['item'].pk}/", f"/services/{data['item'].pk}/enter/", "/logout/"]) == {}


def test_every_page_of_an_organisation_is_english(client, data):
    english(client, data["organisation"])
    forms = ["/online/profile/edit/", "/online/delegation/", "/online/verification/"]
    assert untranslated(client, forms, "post") == {}
    assert untranslated(client, ["/online/", "/online/profile/", "/online/profile/edit/", "/online/delegation/",
                                 "/online/verification/", f"/services/{data['item'].pk}/enter/"]) == {}


def test_every_page_of_the_console_is_english(client, data):
    english(client, data["reviewer"])
    assert untranslated(client, [
        "/console/", "/console/reviews/natural/", "/console/reviews/legal/",
        f"/console/review/{data['submission'].pk}/", "/console/appeals/natural/", "/console/appeals/legal/",
        "/console/audit/", "/console/legacy/", "/console/ratings/", "/console/questions/", "/console/webhooks/"]) == {}
    assert untranslated(client, [f"/console/review/{data['submission'].pk}/decide/"], "post") == {}


def test_the_checker_sees_chinese_where_it_is():
    class Page:
        content = '<p title="提示">ok</p><script>var a = "中文";</script><button lang="zh-Hans">中文</button>'.encode()

    assert chinese_on(Page) == ["提示"]
