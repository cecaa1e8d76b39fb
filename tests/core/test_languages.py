"""中文 / English: Chinese by default whatever the browser says, English when a person chooses it
in the header (a cookie), and a catalogue with every marked string translated."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_chinese_is_the_default_whatever_the_browser_asks(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert response["Content-Language"] == "zh-hans" and '<html lang="zh-Hans">' in page
    assert ">首页<" in page and "跳到主要内容" in page


def test_the_switch_remembers_english_in_a_cookie(client):
    client.get("/")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/services/"})
    assert response.status_code == 302 and response["Location"] == "/services/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/services/").content.decode()
    assert '<html lang="en">' in page and ">Home<" in page and "Skip to main content" in page
    assert 'aria-current="true" disabled>English</button>' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert ">首页<" in client.get("/").content.decode()


def test_an_unknown_language_in_the_cookie_means_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert client.get("/")["Content-Language"] == "zh-hans"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="SKIPPED: needs gettext (apt-get install gettext; .ci/run does)")
def test_every_marked_string_has_its_english(tmp_path):
    """makemessages over a copy of the code must leave nothing untranslated or fuzzy."""
    root = Path(settings.BASE_DIR)
    for part in ("idp", "config", "locale"):
        shutil.copytree(root / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    shutil.copy(root / "manage.py", tmp_path / "manage.py")
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete"], cwd=tmp_path,
                   check=True, capture_output=True)
    stats = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", "locale/en/LC_MESSAGES/django.po"],
                           cwd=tmp_path, capture_output=True, text=True).stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


def test_the_login_page_and_its_errors_in_english(client):
    from tests import factories

    factories.natural_account("english_reader")
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = client.get("/login/").content.decode()
    for text in ["Log in to the platform", "Personal login", "Organisation login", "Login name", "Password",
                 "Forgot password?", "Listen to the characters" if settings.CAPTCHA_FLITE_PATH else "New image"]:
        assert text in page, text
    from captcha.models import CaptchaStore

    key = CaptchaStore.objects.order_by("-id").first().hashkey
    wrong = client.post("/login/", {"kind": "natural", "login_name": "english_reader", "password": "not-it",
                                    "captcha_0": key, "captcha_1": "PASSED"}).content.decode()
    assert "Wrong login name or password" in wrong and "登录名或密码错误" not in wrong


def test_a_business_system_asks_for_english_with_ui_locales(client):
    """The authorize step sends people to the login page with the authorization request as `next`:
    its `ui_locales` chooses the login page's language, unless the person chose one."""
    from urllib.parse import quote

    authorize = "/oidc/authorize?client_id=x&response_type=code&ui_locales=" + quote("fr-CA en-GB zh-CN")
    page = client.get("/login/?next=" + quote(authorize))
    assert page["Content-Language"] == "en" and "Personal login" in page.content.decode()
    assert client.get("/login/?ui_locales=zh-TW")["Content-Language"] == "zh-hans"
    assert client.get("/login/?ui_locales=de")["Content-Language"] == "zh-hans"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"  # the person's own choice wins
    assert client.get("/login/?next=" + quote(authorize))["Content-Language"] == "zh-hans"
    assert "en" in client.get("/.well-known/openid-configuration").json()["ui_locales_supported"]


def test_the_home_page_and_the_error_pages_in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    home = client.get("/").content.decode()
    for text in ["Notices", "Popular services", "How to get started", 'New here? <a href="/register/">Register</a>',
                 'href="/login/?tab=legal">Organisation login</a>']:
        assert text in home, text
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()
    assert "Back to the home page" in missing.content.decode()


def test_the_switch_adds_no_field_to_the_pages_own_forms(client):
    """Programs that fill the login form from every input on the page must not pick up the
    switch's return address: it travels in the switch's action, not in an input."""
    page = client.get("/login/?next=/online/").content.decode()
    assert page.count('name="next"') == 1 and 'action="/i18n/setlang/?next=/login/%3Fnext%3D/online/"' in page
    response = client.post("/i18n/setlang/?next=/login/%3Fnext%3D/online/", {"language": "en"})
    assert response.status_code == 302 and response["Location"] == "/login/?next=/online/"


def test_the_bare_unavailable_page_follows_the_language(monkeypatch):
    """The 503 page is built without templates (the database or Redis just failed), still in the
    reader's language."""
    from captcha.models import CaptchaStore
    from django.db.utils import OperationalError
    from django.test import Client

    def fail(*args, **kwargs):
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(CaptchaStore, "generate_key", fail)
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/login/")
    page = response.content.decode()
    assert response.status_code == 503 and '<html lang="en">' in page
    assert "Service temporarily unavailable" in page and "Back to the home page" in page and "服务" not in page
