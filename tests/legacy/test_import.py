"""import_legacy against a platform state holding every case (SPEC 7, CONTRACT.md)."""

import json

import pytest
from captcha.models import CaptchaStore

from idp.accounts.models import Account, RealNameStatus
from idp.delegation.models import Grant
from idp.delegation.selectors import organisations_for
from idp.legacy.models import ImportFailure, ImportRun, LegacyAccount
from idp.legacy.synthetic import LEGACY_PASSWORD, mobile_for, uscc_for
from tests import factories
from tests.legacy.helpers import HASHES, HEADERS, E, P, files, run_import, write_csv

pytestmark = pytest.mark.django_db
def test_every_case(platform, tmp_path):
    enterprises, persons = files(tmp_path)
    code, report = run_import(tmp_path, enterprises=enterprises, persons=persons)
    assert code == 1  # the HJ_ collisions are errors
    assert report["totals"] == {"R1": 2, "R2": 2, "R3": 2, "R4": 2}
    got = {(a["kind"], a["legacy_id"]): a for a in report["accounts"]}
    expect = {
        ("enterprise", "E-R1"): ("R1", E["R1"], "legal", "unchanged"),
        ("enterprise", "E-R2"): ("R2", E["R2"], "legal", "own"),
        ("enterprise", "E-R3"): ("R3", "HJ_" + E["R3"], "legal", "unchanged"),
        ("enterprise", "E-R4"): ("R4", E["R4"], "natural", "unchanged"),
        ("person", "P-R1"): ("R1", P["R1"], "natural", "unchanged"),
        ("person", "P-R2"): ("R2", P["R2"], "natural", "own"),
        ("person", "P-R3"): ("R3", "HJ_" + P["R3"], "natural", "unchanged"),
        ("person", "P-R4"): ("R4", None, None, "appeal"),
    }
    for key, (case, login_name, account_type, password) in expect.items():
        entry = got[key]
        assert (entry["case"], entry["login_name"], entry["account_type"], entry["login_window"],
                entry["password"]) == (case, login_name, account_type, account_type, password), key
    assert {e["legacy_id"] for e in report["errors"]} == {"E-ERR", "P-ERR"}
    assert all("HJ_" in e["error"] for e in report["errors"])
    assert not Account.objects.filter(login_name__in=["HJ_HJ_" + E["ERR"]]).exists()

    r1 = Account.objects.get(login_name=E["R1"])
    assert r1.is_legal and r1.organisation.uscc == E["R1"] and r1.organisation.name == "企业R1"
    assert r1.phone == "13600000000" and r1.email == "R1@e.cn" and r1.organisation.agent_name == "联系人R1"
    assert r1.realname_status == RealNameStatus.UNVERIFIED
    assert Account.objects.get(login_name="HJ_" + E["R3"]).organisation.uscc == E["R3"]
    r4 = Account.objects.get(login_name=E["R4"])
    assert r4.is_natural
    assert [s.code for s in [g.system for g in Grant.objects.filter(person=r4).order_by("system__code")]] == \
        ["gqrd", "kxqpj"]
    assert list(organisations_for(person=r4, system=platform["systems"]["gqrd"])) == [platform["r4_legal"]]
    person = Account.objects.get(login_name=P["R1"])
    assert person.person.name == "个人R1" and person.phone == P["R1"] and person.person.id_number
    assert not Account.objects.filter(login_name=P["R4"]).exists()
    kept = Account.objects.get(login_name=E["R2"])
    assert kept.check_password(factories.PASSWORD)  # nothing of an existing account changed
    records = {r.legacy_id: r for r in LegacyAccount.objects.all()}
    assert records["E-R2"].account == kept and records["E-R4"].account == r4 and records["P-R4"].account is None
    run = ImportRun.objects.get()
    assert run.error_count == 2 and run.totals["enterprise"]["R1"] == 1
    assert "HJ_" in ImportFailure.objects.first().error


def login(client, name, password, kind):
    client.get("/login/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    return client.post("/login/", {"kind": kind, "login_name": name, "password": password, "captcha_0": key,
                                   "captcha_1": "PASSED"})


@pytest.mark.parametrize("fmt", range(5))
def test_old_password_in_the_right_window_then_rehashed(client, tmp_path, fmt, settings):
    """Each hash format: the old password works at the right tab only, then becomes argon2id."""
    settings.IDP_LOGIN_SLOWDOWN_SECONDS = 0
    factories.demo_systems()
    u, p = uscc_for(100 + fmt), mobile_for(100 + fmt)
    enterprises = write_csv(tmp_path / "e.csv", "enterprise", [["E1", u, HASHES[fmt], "企业", "联系人", "", "", ""]])
    persons = write_csv(tmp_path / "p.csv", "person", [["P1", p, HASHES[fmt], "个人", "", "", "", ""]])
    assert run_import(tmp_path, enterprises=enterprises, persons=persons)[0] == 0
    legacy_hash = Account.objects.get(login_name=u).password
    assert login(client, u, LEGACY_PASSWORD, "natural").context["error"] == "登录名或密码错误"
    assert login(client, p, LEGACY_PASSWORD, "legal").context["error"] == "登录名或密码错误"
    assert login(client, u, LEGACY_PASSWORD, "legal").status_code == 302
    client.post("/logout/")
    assert login(client, p, LEGACY_PASSWORD, "natural").status_code == 302
    for name in (u, p):
        account = Account.objects.get(login_name=name)
        assert account.password.startswith("argon2$argon2id$") and account.password != legacy_hash
        assert account.check_password(LEGACY_PASSWORD)
    assert login(client, u, "wrong" + LEGACY_PASSWORD, "legal").context["error"] == "登录名或密码错误"


def test_legacy_hashes_are_never_shown(client, tmp_path):
    factories.demo_systems()
    u = uscc_for(200)
    enterprises = write_csv(tmp_path / "e.csv", "enterprise", [["E1", u, HASHES[2], "企业", "联系人", "", "", ""]])
    code, report = run_import(tmp_path, enterprises=enterprises)
    digest = HASHES[2].split("$")[-1]
    assert digest not in str(report)
    staff = factories.natural_account("ops")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    factories.sign_in(client, staff)
    account = Account.objects.get(login_name=u)
    assert digest not in client.get(f"/admin/accounts/account/{account.pk}/change/").content.decode()
    assert digest not in client.get("/console/legacy/", {"q": u}).content.decode()


def test_run_twice_changes_nothing(platform, tmp_path):
    enterprises, persons = files(tmp_path)
    first = run_import(tmp_path, enterprises=enterprises, persons=persons)[1]
    accounts = sorted(Account.objects.values_list("login_name", "password"))
    second = run_import(tmp_path, enterprises=enterprises, persons=persons)[1]
    assert first == second
    assert sorted(Account.objects.values_list("login_name", "password")) == accounts
    assert Grant.objects.filter(source="migration").count() == 2


def test_dry_run_decides_and_writes_nothing(platform, tmp_path):
    enterprises, persons = files(tmp_path)
    before = Account.objects.count()
    code, report = run_import(tmp_path, enterprises=enterprises, persons=persons, dry_run=True)
    assert report["totals"] == {"R1": 2, "R2": 2, "R3": 2, "R4": 2} and len(report["errors"]) == 2
    assert Account.objects.count() == before
    assert not LegacyAccount.objects.exists() and not ImportRun.objects.exists()


def test_bad_rows_go_to_the_report_and_a_rerun_imports_the_fixed_ones(tmp_path):
    factories.demo_systems()
    good_u, good_p = uscc_for(300), mobile_for(300)
    rows = [
        ["E1", good_u, HASHES[0], "企业", "联系人", "", "", ""],
        ["E2", "91110108MA01ET88XA", HASHES[0], "坏代码", "联系人", "", "", ""],  # wrong check character
        ["E3", uscc_for(301), "rot13$abc", "坏哈希", "联系人", "", "", ""],  # unknown format
        ["E4", uscc_for(302), "md5$salt$123", "坏哈希", "联系人", "", "", ""],  # malformed
        ["E1", uscc_for(303), HASHES[1], "重复 legacy_id", "联系人", "", "", ""],
        ["E5", good_u, HASHES[1], "重复代码", "联系人", "", "", ""],
    ]
    enterprises = write_csv(tmp_path / "e.csv", "enterprise", rows)
    persons = write_csv(tmp_path / "p.csv", "person", [
        ["P1", good_p, HASHES[0], "个人", "", "", "", ""],
        ["P2", "1234", HASHES[0], "坏手机", "", "", "", ""],
        ["P3", good_p, HASHES[0], "重复手机", "", "", "", ""],
    ])
    code, report = run_import(tmp_path, enterprises=enterprises, persons=persons)
    assert code == 1
    errors = {e["legacy_id"]: e["error"] for e in report["errors"]}
    assert "uscc" in errors["E2"] and "password_hash" in errors["E3"] and "password_hash" in errors["E4"]
    assert "legacy_id" in errors["E1"] and "重复" in errors["E5"]
    assert "mobile" in errors["P2"] and "重复" in errors["P3"]
    assert "rot13" not in str(report)
    assert {a["legacy_id"] for a in report["accounts"]} == {"E1", "P1"}
    # Fix two rows and run again: exactly those are imported.
    rows[1][1] = uscc_for(304)
    rows[2][2] = HASHES[3]
    enterprises = write_csv(tmp_path / "e.csv", "enterprise", rows)
    before = set(Account.objects.values_list("login_name", flat=True))
    code, report = run_import(tmp_path, enterprises=enterprises, persons=persons)
    after = set(Account.objects.values_list("login_name", flat=True))
    assert after - before == {uscc_for(304), uscc_for(301)}
    assert code == 1  # the unfixed rows still are errors


@pytest.mark.parametrize(("content", "message"), [
    (b"", "文件是空的"),
    (b"legacy_id,uscc,password_hash\nE1,x,y\n", "文件缺少列"),
])
def test_empty_file_and_missing_columns(tmp_path, content, message):
    factories.demo_systems()
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    code, report = run_import(tmp_path, enterprises=str(path))
    assert code == 1 and message in report["errors"][0]["error"]


def test_non_utf8_rows_are_errors_and_the_rest_imports(tmp_path):
    factories.demo_systems()
    path = tmp_path / "p.csv"
    header = ",".join(["legacy_id", "mobile", "password_hash", "name", "id_type", "id_number", "email",
                       "registered_at"])
    good = f"P1,{mobile_for(400)},{HASHES[0]},张三,,,,\n".encode()
    bad = f"P2,{mobile_for(401)},{HASHES[0]},".encode() + "李四".encode("gbk") + b",,,,\n"
    path.write_bytes(header.encode() + b"\n" + good + bad)
    code, report = run_import(tmp_path, persons=str(path))
    assert code == 1 and report["errors"] == [{"legacy_id": "P2", "error": "该行不是有效的 UTF-8 文本"}]
    assert Account.objects.filter(login_name=mobile_for(400)).exists()


def test_business_systems_must_exist(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = write_csv(tmp_path / "e.csv", "enterprise", [])
    with pytest.raises(CommandError, match="高企认定"):
        call_command("import_legacy", "--enterprises", path, "--no-progress")


def test_progress_bar_shows_rate_and_eta(tmp_path):
    import io

    from idp.legacy.importer import ProgressBar, count_rows

    path = write_csv(tmp_path / "p.csv", "person", [[f"P{i}", mobile_for(i), HASHES[0], "", "", "", "", ""]
                                                    for i in range(7)])
    assert count_rows(path) == 7 and count_rows(None) == 0
    stream = io.StringIO()
    bar = ProgressBar(14, stream=stream)
    bar(7)
    bar.close()
    text = stream.getvalue()
    assert "50%" in text and "7/14 rows" in text and "rows/s" in text and "ETA" in text


PERSON_HEADER = ",".join(["legacy_id", "mobile", "password_hash", "name", "id_type", "id_number", "email",
                          "registered_at"])


@pytest.mark.parametrize(("bad", "message"), [
    (f"P2,{mobile_for(411)},{HASHES[0]},李四,,,,,too,many\n".encode(), "列数"),  # a field too many
    (f"P2,{mobile_for(411)},{HASHES[0]}\n".encode(), "列数"),  # too few
    (f"P2,{mobile_for(411)},{HASHES[0]},李\x00四,,,,\n".encode(), "NUL"),
    (f"P2,{mobile_for(411)},{HASHES[0]},".encode() + b"x" * (1024 * 1024) + b",,,,\n", "CSV"),  # a 1 MB field
])
def test_a_malformed_row_is_one_error_and_the_import_goes_on(tmp_path, bad, message):
    """Issue 13, item 1: one malformed row used to crash the whole import (TypeError)."""
    factories.demo_systems()
    path = tmp_path / "p.csv"
    first = f"P1,{mobile_for(410)},{HASHES[0]},张三,,,,\n".encode()
    last = f"P3,{mobile_for(412)},{HASHES[0]},王五,,,,\n".encode()
    path.write_bytes(PERSON_HEADER.encode() + b"\n" + first + bad + last)
    for dry_run in (True, False):
        code, report = run_import(tmp_path, persons=str(path), dry_run=dry_run)
        assert code == 1 and len(report["errors"]) == 1 and message in report["errors"][0]["error"], report
    assert Account.objects.filter(login_name__in=[mobile_for(410), mobile_for(412)]).count() == 2


def test_an_unquoted_comma_in_an_organisation_name_is_one_error(tmp_path):
    factories.demo_systems()
    path = tmp_path / "e.csv"
    header = ",".join(HEADERS["enterprise"])
    good = f"E1,{uscc_for(430)},{HASHES[0]},好企业,联系人,13600000001,e1@e.cn,2019-01-01T00:00:00\n"
    bad = f"E2,{uscc_for(431)},{HASHES[0]},北京,某某有限公司,联系人,13600000002,e2@e.cn,2019-01-01T00:00:00\n"
    path.write_text(header + "\n" + good + bad, encoding="utf-8")
    code, report = run_import(tmp_path, enterprises=str(path))
    assert code == 1 and [e["legacy_id"] for e in report["errors"]] == ["E2"]
    assert sum(report["totals"].values()) == 1  # E1 was imported


def test_an_unterminated_quote_is_an_error_not_a_crash(tmp_path):
    factories.demo_systems()
    path = tmp_path / "p.csv"
    good = f"P1,{mobile_for(420)},{HASHES[0]},张三,,,,\n".encode()
    bad = f'P2,{mobile_for(421)},{HASHES[0]},"李四,,,,\n'.encode()
    path.write_bytes(PERSON_HEADER.encode() + b"\n" + good + bad)
    code, report = run_import(tmp_path, persons=str(path))
    assert code == 1 and len(report["errors"]) == 1
    assert Account.objects.filter(login_name=mobile_for(420)).exists()


@pytest.mark.parametrize("where", ["missing-folder/report.json", "."])
def test_an_unwritable_report_path_stops_before_anything_is_written(tmp_path, where):
    """Issue 13, item 5: checked before the import, not after it committed."""
    from django.core.management import CommandError, call_command
    enterprises, persons = files(tmp_path)
    target = tmp_path / where
    with pytest.raises(CommandError, match="cannot write the report"):
        call_command("import_legacy", "--enterprises", enterprises, "--persons", persons, "--report", str(target),
                     "--no-progress")
    assert not LegacyAccount.objects.exists() and not ImportRun.objects.exists()


def test_a_missing_input_stops_before_anything_is_written(tmp_path):
    from django.core.management import CommandError, call_command
    enterprises, _ = files(tmp_path)
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_legacy", "--enterprises", enterprises, "--persons", str(tmp_path / "nope.csv"),
                     "--no-progress")
    assert not LegacyAccount.objects.exists()


def _report_bytes(tmp_path, persons, *extra):
    from django.core.management import call_command
    report = tmp_path / "twins.json"
    try:
        call_command("import_legacy", "--persons", persons, "--report", str(report), "--no-progress",
                     "--batch-size", "2", *extra)
    except SystemExit:
        pass
    return report.read_bytes()


def test_twins_in_different_batches_get_the_same_answer_in_a_dry_run_a_run_and_a_rerun(tmp_path):
    """Issue 13, items 3 and 7: twins two batches apart were both R1 in a dry run, and a rerun
    worded the duplicate errors differently; the twin's legacy_id is named."""
    factories.demo_systems()
    rows = [["P1", mobile_for(440), HASHES[0], "甲", "", "", "", ""],
            ["P2", mobile_for(441), HASHES[0], "乙", "", "", "", ""],
            ["P3", mobile_for(442), HASHES[0], "丙", "", "", "", ""],
            ["P1", mobile_for(443), HASHES[0], "甲2", "", "", "", ""],  # the same legacy_id, a later batch
            ["P5", mobile_for(441), HASHES[0], "乙2", "", "", "", ""]]  # P2's mobile, a later batch
    persons = write_csv(tmp_path / "p.csv", "person", rows)
    dry = _report_bytes(tmp_path, persons, "--dry-run")
    real = _report_bytes(tmp_path, persons)
    rerun = _report_bytes(tmp_path, persons)
    without_times = [report.split(b', "timing": ')[0] for report in (dry, real, rerun)]
    assert without_times[0] == without_times[1] == without_times[2]  # byte for byte, apart from times
    errors = {e["legacy_id"]: e["error"] for e in json.loads(real)["errors"]}
    assert errors == {"P1": "legacy_id P1 在文件中重复(已按第一次出现的行处理)",
                      "P5": "手机号在文件中重复(已由 legacy_id P2 处理)"}
    assert len(json.loads(real)["accounts"]) == 3  # P1, P2, P3 — each once


def test_an_account_named_by_the_uscc_of_another_organisation_is_a_collision_not_r2(tmp_path):
    """Issue 13, item 4, end to end: R2 only when the legal account named u has USCC u."""
    factories.demo_systems()
    u = uscc_for(450)
    factories.legal_account(u, name="别的单位")  # named u, but its own USCC is another one
    enterprises = write_csv(tmp_path / "e.csv", "enterprise", [
        ["E-X", u, HASHES[0], "本企业", "联系人", "13600000450", "x@e.cn", "2019-01-01T00:00:00"]])
    code, report = run_import(tmp_path, enterprises=enterprises)
    assert code == 0 and report["totals"]["R3"] == 1 and report["totals"]["R2"] == 0
    assert Account.objects.filter(login_name="HJ_" + u, kind="legal").exists()
