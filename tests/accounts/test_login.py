"""Login (SPEC 1): two tabs, one generic error, throttling, lockout, single-use captcha."""

import pytest
from captcha.models import CaptchaStore
from django.utils import timezone

from idp.accounts.login import GENERIC_ERROR
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, login_name, password=PASSWORD, kind="natural", captcha="PASSED", **extra):
    client.get(f"/login/?tab={kind}")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    return client.post("/login/", {"kind": kind, "login_name": login_name, "password": password,
                                   "captcha_0": key, "captcha_1": captcha, **extra})


def test_login_page_has_both_tabs_and_labels(client):
    page = client.get("/login/").content.decode()
    assert "自然人登录" in page and "法人登录" in page
    for field_id, label in [("id_login_name", "登录名"), ("id_password", "密码"),
                            ("id_captcha_1", "验证码")]:
        assert f'<label for="{field_id}">{label}</label>' in page
    assert "忘记密码?" in page and "立即注册账号" in page and "010-88659000" in page


def test_natural_person_logs_in_at_natural_tab(client):
    account = factories.natural_account("alice")
    response = login(client, "alice")
    assert response.status_code == 302 and response.url == "/online/"
    page = client.get("/online/").content.decode()
    assert "当前用户" in page and account.person.name in page and "用户类型:自然人" in page
    assert "退出登录" in page


def test_login_name_is_case_insensitive(client):
    factories.natural_account("Alice_1")
    assert login(client, "aLICE_1").status_code == 302


def test_legal_person_logs_in_at_legal_tab(client):
    factories.legal_account("acme")
    response = login(client, "acme", kind="legal")
    assert response.status_code == 302
    assert "法人(单位管理员)" in client.get("/online/").content.decode()


@pytest.mark.parametrize(("kind", "make"), [("legal", factories.natural_account),
                                            ("natural", factories.legal_account)])
def test_wrong_tab_gets_the_generic_error(client, kind, make):
    """A right password at the wrong tab is refused with the same message as a wrong one."""
    make("someone")
    response = login(client, "someone", kind=kind)
    assert response.status_code == 200 and response.context["error"] == GENERIC_ERROR
    assert "_auth_user_id" not in client.session


def test_wrong_password_and_unknown_name_look_the_same(client):
    factories.natural_account("bob")
    wrong = login(client, "bob", password="Wrong0000!")
    unknown = login(client, "nobody_here")
    assert wrong.context["error"] == unknown.context["error"] == GENERIC_ERROR
    assert 'value="bob"' in wrong.content.decode()  # the name is kept, the password is not
    assert "Wrong0000!" not in wrong.content.decode()


def test_inactive_account_cannot_log_in(client):
    account = factories.natural_account("carol")
    account.is_active = False
    account.save()
    assert login(client, "carol").context["error"] == GENERIC_ERROR


def test_repeated_failures_slow_down_then_lock(client, settings):
    """After 3 failures each attempt must wait; after 5 the name is locked, right password or not."""
    settings.IDP_LOGIN_SLOWDOWN_SECONDS = 0
    factories.natural_account("dave")
    for _ in range(5):
        assert login(client, "dave", password="Wrong0000!").context["error"] == GENERIC_ERROR
    locked = login(client, "dave")
    assert "锁定" in locked.context["error"] and "_auth_user_id" not in client.session


def test_slow_down_asks_to_wait(client):
    factories.natural_account("erin")
    for _ in range(3):
        login(client, "erin", password="Wrong0000!")
    response = login(client, "erin")
    assert "秒后再试" in response.context["error"]


def test_lockout_does_not_reveal_whether_a_name_exists(client, settings):
    """An unknown name is locked after the same number of failures, with the same message."""
    settings.IDP_LOGIN_SLOWDOWN_SECONDS = 0
    factories.natural_account("frank")
    messages = {}
    for name in ("frank", "no_such_user"):
        for _ in range(5):
            login(client, name, password="Wrong0000!")
        messages[name] = login(client, name, password="Wrong0000!").context["error"]
    assert messages["frank"] == messages["no_such_user"]


def test_ip_is_locked_after_many_failures(client, settings):
    settings.IDP_LOGIN_IP_LOCK_FAILURES = 3
    factories.natural_account("gina")
    for i in range(3):
        login(client, f"name_{i}", password="Wrong0000!")
    assert "锁定" in login(client, "gina").context["error"]


def test_success_resets_the_failure_count(client, settings):
    settings.IDP_LOGIN_SLOWDOWN_SECONDS = 0
    factories.natural_account("hank")
    for _ in range(2):
        login(client, "hank", password="Wrong0000!")
    assert login(client, "hank").status_code == 302
    client.post("/logout/")
    for _ in range(2):
        login(client, "hank", password="Wrong0000!")
    assert login(client, "hank").status_code == 302


class TestRealCaptcha:
    """With IDP_CAPTCHA=image the typed answer must match the image, once."""

    @pytest.fixture(autouse=True)
    def _image_captcha(self, settings):
        settings.IDP_CAPTCHA = "image"

    def _fresh(self, client):
        client.get("/login/")
        return CaptchaStore.objects.order_by("-id").first()

    def _post(self, client, store, answer):
        return client.post("/login/", {"kind": "natural", "login_name": "ivy", "password": PASSWORD,
                                       "captcha_0": store.hashkey, "captcha_1": answer})

    def test_right_answer(self, client):
        factories.natural_account("ivy")
        store = self._fresh(client)
        assert self._post(client, store, store.response.upper()).status_code == 302

    def test_wrong_answer(self, client):
        factories.natural_account("ivy")
        store = self._fresh(client)
        response = self._post(client, store, "zzzz" if store.response != "zzzz" else "yyyy")
        assert response.context["form"].errors["captcha"] == ["验证码错误,请重新输入"]

    def test_reused_captcha(self, client):
        factories.natural_account("ivy")
        store = self._fresh(client)
        assert self._post(client, store, store.response).status_code == 302
        client.post("/logout/")
        response = self._post(client, store, store.response)
        assert response.context["form"].errors["captcha"] == ["验证码已使用或已失效,请输入新的验证码"]

    def test_expired_captcha(self, client):
        factories.natural_account("ivy")
        store = self._fresh(client)
        CaptchaStore.objects.filter(pk=store.pk).update(expiration=timezone.now())
        response = self._post(client, store, store.response)
        assert response.context["form"].errors["captcha"] == ["验证码已过期,请输入新的验证码"]

    def test_missing_answer(self, client):
        store = self._fresh(client)
        response = self._post(client, store, "")
        assert response.context["form"].errors["captcha"] == ["请输入图片中的验证码"]

    def test_captcha_image_is_served(self, client):
        store = self._fresh(client)
        response = client.get(f"/captcha/image/{store.hashkey}/")
        assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_fixed_captcha_still_single_use(client):
    """The test hook accepts its answer, but each image still works once."""
    factories.natural_account("jack")
    client.get("/login/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    data = {"kind": "natural", "login_name": "jack", "password": PASSWORD, "captcha_0": key,
            "captcha_1": "PASSED"}
    assert client.post("/login/", data).status_code == 302
    client.post("/logout/")
    assert "captcha" in client.post("/login/", data).context["form"].errors


def test_logout_needs_post_and_ends_the_session(client):
    factories.natural_account("kate")
    login(client, "kate")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.url == "/login/" and "_auth_user_id" not in client.session
    assert client.get("/online/").status_code == 302


def test_next_is_followed_only_when_local(client):
    factories.natural_account("leo")
    assert login(client, "leo", next="/online/profile/").url == "/online/profile/"
    client.post("/logout/")
    assert login(client, "leo", next="https://evil.example/").url == "/online/"


@pytest.mark.parametrize("next_url", ["x", "online", "%zz", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_a_next_that_is_not_a_local_path_is_ignored_and_the_login_kept(client, next_url):
    """Issue 25 N4: `next=x` was a 500 after a correct password — the login lost."""
    factories.natural_account("nina")
    response = login(client, "nina", next=next_url)
    assert response.status_code == 302 and response.url == "/online/"
    assert client.get("/online/").status_code == 200


def test_login_form_needs_csrf():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"kind": "natural", "login_name": "x", "password": "y"})
    assert response.status_code == 403


def test_unknown_tab_falls_back_to_natural(client):
    response = client.get("/login/?tab=robot")
    assert response.context["tab"] == "natural"
    bad = client.post("/login/", {"kind": "robot", "login_name": "x", "password": "y"})
    assert bad.status_code == 200
