"""The platform's own error pages (CONTRACT.md; issue 16, items 1 and 2): unknown URLs, pages a
signed-in user has no right to, bad requests and wrong methods all answer in Chinese with the
platform's header and 返回首页 — never Django's English pages or the login form again."""

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def test_an_unknown_url_answers_the_platforms_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    text = page(response)
    assert "页面不存在" in text and 'href="/"' in text and "返回首页" in text and "Not Found" not in text


def test_a_page_of_the_other_account_kind_is_the_platforms_404(client):
    client.force_login(factories.natural_account())
    response = client.get("/no-such-legal-page/")
    assert response.status_code == 404 and "返回首页" in page(response)


def test_a_signed_in_user_without_rights_is_told_so_not_shown_the_login_form(client):
    client.force_login(factories.natural_account(name="张三"))
    response = client.get("/console/")
    text = page(response)
    assert response.status_code == 403 and "无权限访问" in text and "审核人员" in text
    assert "张三" in text and 'name="password"' not in text and "返回首页" in text


def test_an_anonymous_visitor_is_sent_to_log_in_first():
    response = Client().get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/console/")


def test_a_wrong_method_on_a_page_gets_the_error_page_and_protocol_clients_the_bare_answer(client):
    response = client.get("/logout/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 405 and "请求方式不被允许" in page(response) and response["Allow"] == "POST"
    bare = client.get("/logout/", HTTP_ACCEPT="application/json")
    assert bare.status_code == 405 and bare.content == b""


def test_a_bad_request_gets_the_platforms_400_page():
    response = Client(raise_request_exception=False).get("/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400 and "请求无效" in page(response)


def test_the_platform_has_its_own_icon_and_admin_title(client):
    from django.contrib import admin

    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon["Location"].endswith("/idp/favicon.svg")
    assert 'rel="icon"' in client.get("/").content.decode()
    assert "Django" not in admin.site.site_header + admin.site.site_title and "系统管理" in admin.site.site_header
