"""账号检索: POST /api/migration/lookup and the page, for every case."""

import json

import pytest
from captcha.models import CaptchaStore

from idp.legacy.models import ImportRun
from tests import factories
from tests.legacy.helpers import E, P, files, run_import

pytestmark = pytest.mark.django_db


def ask(client, **body):
    client.get("/legacy/lookup/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    body = {"captcha_0": key, "captcha_1": "PASSED", **body}
    return client.post("/api/migration/lookup", json.dumps(body), content_type="application/json")


@pytest.fixture
def imported(platform, tmp_path):
    enterprises, persons = files(tmp_path)
    run_import(tmp_path, enterprises=enterprises, persons=persons)


@pytest.mark.parametrize(("kind", "key", "expect"), [
    ("enterprise", E["R1"], ("R1", E["R1"], "legal", "unchanged")),
    ("enterprise", E["R2"], ("R2", E["R2"], "legal", "own")),
    ("enterprise", E["R3"], ("R3", "HJ_" + E["R3"], "legal", "unchanged")),
    ("enterprise", E["R4"], ("R4", E["R4"], "natural", "unchanged")),
    ("enterprise", E["U1"], ("U1", None, "legal", None)),
    ("enterprise", E["U2"], ("U2", None, "legal", None)),
    ("person", P["R1"], ("R1", P["R1"], "natural", "unchanged")),
    ("person", P["R2"], ("R2", P["R2"], "natural", "own")),
    ("person", P["R3"], ("R3", "HJ_" + P["R3"], "natural", "unchanged")),
    ("person", P["R4"], ("R4", None, None, "appeal")),
    ("person", P["U"], ("U", None, "natural", None)),
])
def test_lookup_answers_every_case(client, imported, kind, key, expect):
    field = "uscc" if kind == "enterprise" else "mobile"
    response = ask(client, kind=kind, **{field: key})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"case", "login_name", "login_window", "password", "next_steps"}
    assert (answer["case"], answer["login_name"], answer["login_window"], answer["password"]) == expect
    assert answer["next_steps"] and all(isinstance(step, str) for step in answer["next_steps"])


def test_next_steps_say_exactly_what_to_do(client, imported):
    r1 = " ".join(ask(client, kind="enterprise", uscc=E["R1"]).json()["next_steps"])
    assert "法人登录" in r1 and "原密码" in r1 and "实名认证" in r1 and "忘记密码" in r1
    r4 = " ".join(ask(client, kind="enterprise", uscc=E["R4"]).json()["next_steps"])
    assert "自然人登录" in r4 and "单位法人用户申诉找回密码" in r4 and "统一社会信用代码" in r4
    person_r4 = " ".join(ask(client, kind="person", mobile=P["R4"]).json()["next_steps"])
    assert "自然人申诉找回密码" in person_r4


def test_lookup_needs_a_captcha_and_valid_keys(client, settings):
    settings.IDP_CAPTCHA = "image"
    response = ask(client, kind="enterprise", uscc=E["R1"])
    assert response.status_code == 400 and "captcha" in response.json()["fields"]
    settings.IDP_CAPTCHA = "fixed:PASSED"
    bad = ask(client, kind="person", mobile="123")
    assert bad.status_code == 400 and "mobile" in bad.json()["fields"]
    assert ask(client, kind="robot").status_code == 400


def test_malformed_requests(client):
    assert client.post("/api/migration/lookup", "not json", content_type="application/json").status_code == 400
    assert client.post("/api/migration/lookup", "[1, 2]", content_type="application/json").status_code == 400
    assert client.get("/api/migration/lookup").status_code == 405


def test_lookup_is_throttled(client, settings):
    settings.IDP_MIGRATION_LOOKUPS_PER_MINUTE = 2
    for _ in range(2):
        assert ask(client, kind="person", mobile=P["U"]).status_code == 200
    assert ask(client, kind="person", mobile=P["U"]).status_code == 429


def test_lookup_page(client, imported):
    client.get("/legacy/lookup/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    page = client.post("/legacy/lookup/", {"kind": "enterprise", "uscc": E["R3"], "captcha_0": key,
                                              "captcha_1": "PASSED"}).content.decode()
    assert "HJ_" + E["R3"] in page and "法人登录" in page
    assert '<label for="id_uscc">统一社会信用代码</label>' in page


@pytest.mark.parametrize(("kind", "key", "heading", "buttons"), [
    ("enterprise", E["R3"], "您的账号已转移到政务服务平台", ["法人登录", "忘记密码"]),
    ("enterprise", E["U1"], "该企业还没有账号,请注册", ["单位用户(法人)注册"]),
    ("enterprise", E["U2"], "该企业已有政务服务平台的法人账号", ["法人登录", "忘记密码"]),
    ("person", P["R2"], "您的账号已转移到政务服务平台", ["自然人登录", "忘记密码"]),
    ("person", P["R4"], "您已有实名认证的账号", ["自然人申诉找回密码", "自然人登录"]),
    ("person", P["U"], "该手机号还没有账号,请注册", ["自然人注册", "自然人登录"]),
])
def test_the_page_answers_in_plain_words_with_a_button_for_each_next_step(client, imported, kind, key, heading,
                                                                          buttons):
    import re

    client.get("/legacy/lookup/")
    captcha = CaptchaStore.objects.order_by("-id").first().hashkey
    field = "uscc" if kind == "enterprise" else "mobile"
    page = client.post("/legacy/lookup/", {"kind": kind, field: key, "captcha_0": captcha,
                                              "captcha_1": "PASSED"}).content.decode()
    answer = page[page.index('class="lookup-answer"'):page.index("</div>", page.index('class="lookup-answer"'))]
    assert f"<h2>{heading}</h2>" in answer
    assert re.findall(r'class="button[^"]*" href="[^"]+">([^<]+)</a>', answer) == buttons
    assert not re.search(r"\b(U1|U2|R[1-4])\b|查询结果|:\s*,", answer)  # no internal codes, no stray comma


def test_console_shows_runs_and_finds_accounts(client, imported):
    staff = factories.natural_account("ops_user")
    staff.is_staff = True
    staff.save()
    factories.sign_in(client, staff)
    page = client.get("/console/legacy/").content.decode()
    assert "1 / 1 / 1 / 1" in page  # the run's totals per case
    found = client.get("/console/legacy/", {"q": E["R3"]}).content.decode()
    assert "HJ_" + E["R3"] in found and "E-R3" in found
    run_page = client.get(f"/console/legacy/{ImportRun.objects.get().pk}/").content.decode()
    assert "E-ERR" in run_page and "HJ_" in run_page


@pytest.mark.parametrize(("kind", "field", "key"), [("enterprise", "uscc", E["ERR"]), ("person", "mobile", P["ERR"])])
def test_an_account_the_migration_could_not_move_is_not_told_to_register(client, imported, kind, field, key):
    """Issue 13, item 2: an HJ_ collision used to answer U1/U ("请注册…")."""
    answer = ask(client, kind=kind, **{field: key}).json()
    steps = " ".join(answer["next_steps"])
    assert answer["case"] == "R3" and answer["login_name"] is None and answer["password"] is None
    assert "火炬中心存在" in steps and "未能自动转移" in steps and "请注册" not in steps
    run = ImportRun.objects.get()
    assert f"-{run.pk}" in steps and "技术支持" in steps


def test_a_malformed_row_with_a_valid_key_is_found_too(client, tmp_path):
    from tests.legacy.helpers import write_csv
    factories.demo_systems()
    persons = write_csv(tmp_path / "p.csv", "person", [["P-BAD", "13912349876", "not-a-hash", "赵六", "", "", "", ""]])
    run_import(tmp_path, persons=persons)
    steps = " ".join(ask(client, kind="person", mobile="13912349876").json()["next_steps"])
    assert "火炬中心存在" in steps and "P-BAD" in steps


def test_the_old_addresses_keep_working(client):
    """Issue 26: the legacy rename finished; the addresses published before it redirect."""
    response = client.get("/migration/lookup/?from=torch")
    assert response.status_code == 301 and response["Location"] == "/legacy/lookup/?from=torch"
    assert client.get("/console/migration/")["Location"] == "/console/legacy/"
