import csv
import json

from django.core.management import call_command

from idp.legacy.reader import COLUMNS
from idp.legacy.synthetic import legacy_hashes, mobile_for, uscc_for
from tests import factories

HEADERS = COLUMNS
HASHES = legacy_hashes()

# Enterprises by case, with the USCC each uses
E = {case: uscc_for(i) for i, case in enumerate(["R1", "R2", "R3", "R4", "ERR", "U1", "U2"])}
# Persons by case
P = {case: mobile_for(i) for i, case in enumerate(["R1", "R2", "R3", "R4", "ERR", "U"])}


def files(tmp_path):
    enterprises = write_csv(tmp_path / "e.csv", "enterprise", [
        [f"E-{case}", E[case], HASHES[i % 5], f"企业{case}", f"联系人{case}", f"1360000000{i}", f"{case}@e.cn",
         "2019-01-01T00:00:00"]
        for i, case in enumerate(["R1", "R2", "R3", "R4", "ERR"])])
    persons = write_csv(tmp_path / "p.csv", "person", [
        [f"P-{case}", P[case], HASHES[i % 5], f"个人{case}", "resident_id", factories.resident_id(seq=f"7{i}0"),
         f"{case}@p.cn", "2018-01-01T00:00:00"]
        for i, case in enumerate(["R1", "R2", "R3", "R4", "ERR"])])
    return enterprises, persons


def write_csv(path, kind, rows, header=None):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or HEADERS[kind])
        writer.writerows(rows)
    return str(path)


def run_import(tmp_path, *, enterprises=None, persons=None, dry_run=False):
    """Run the management command; returns (exit code, report dict)."""
    report = tmp_path / "report.json"
    args = ["import_legacy", "--report", str(report), "--no-progress"]
    if enterprises:
        args += ["--enterprises", enterprises]
    if persons:
        args += ["--persons", persons]
    if dry_run:
        args.append("--dry-run")
    try:
        call_command(*args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    answer = json.loads(report.read_text(encoding="utf-8"))
    assert set(answer.pop("timing")) == {"parse", "check", "decide", "write", "report"}  # times: never compared
    return code, answer
