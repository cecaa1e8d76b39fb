"""Killed at any moment, a rerun finishes with exactly the state a clean run gives (PostgreSQL)."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from idp.accounts.models import Account
from idp.delegation.models import Grant
from idp.legacy.models import LegacyAccount
from idp.legacy.synthetic import generate
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgresql://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_import(paths, *extra):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "IDP_DATABASE_URL": database_url()}
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_legacy", "--enterprises", paths.enterprises, "--persons",
         paths.persons, "--no-progress", *extra],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def expected_rows(paths):
    with open(paths.expected, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_clean_state(paths, accounts_before):
    """What a clean run gives: every row decided as expected, each exactly once."""
    rows = expected_rows(paths)
    records = {(r.kind, r.legacy_id): r for r in LegacyAccount.objects.select_related("account")}
    ok = [r for r in rows if r["case"] != "ERROR"]
    assert len(records) == len(ok)
    for row in ok:
        record = records[(row["kind"], row["legacy_id"])]
        assert record.case == row["case"] and (record.login_name or "") == row["login_name"], row
    created = sum(1 for r in ok if r["case"] in ("R1", "R3") or (r["case"] == "R4" and r["kind"] == "enterprise"))
    assert Account.objects.count() == accounts_before + created
    r4 = sum(1 for r in ok if r["case"] == "R4" and r["kind"] == "enterprise")
    assert Grant.objects.filter(source="migration").count() == 2 * r4


def test_sigkill_mid_run_then_resume(tmp_path):
    factories.demo_systems()
    paths = generate(out_dir=str(tmp_path), enterprises=4000, persons=4000, conflicts=0.05)
    accounts_before = Account.objects.count()
    process = start_import(paths, "--batch-size", "50")
    deadline = time.monotonic() + 60
    while LegacyAccount.objects.count() < 1500 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    partial = LegacyAccount.objects.count()
    assert 0 < partial < 7200
    # Every recorded row is whole: its account exists (no half-written batch).
    assert not LegacyAccount.objects.filter(case="R1", account__isnull=True).exists()

    resumed = start_import(paths, "--batch-size", "500")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 1, err.decode()  # the HJ_ collisions are errors, as in a clean run
    assert_clean_state(paths, accounts_before)


def test_run_twice_on_postgresql(tmp_path):
    factories.demo_systems()
    paths = generate(out_dir=str(tmp_path), enterprises=500, persons=500, conflicts=0.05)
    accounts_before = Account.objects.count()
    first = start_import(paths, "--report", str(tmp_path / "r1.json"))
    first.communicate(timeout=120)
    state = sorted(Account.objects.values_list("login_name", "password", "phone"))
    second = start_import(paths, "--report", str(tmp_path / "r2.json"))
    second.communicate(timeout=120)
    without_times = [(tmp_path / name).read_text().split(', "timing": ')[0] for name in ("r1.json", "r2.json")]
    assert without_times[0] == without_times[1]  # the same report, apart from the times
    assert sorted(Account.objects.values_list("login_name", "password", "phone")) == state
    assert_clean_state(paths, accounts_before)
