"""The import's plumbing at scale — parsing in a child process, look-ups in slices — gives the
same answers as the simple path (the benchmark's sizes exercise them; these small files prove them)."""

import pytest

from idp.legacy import importer, reader
from idp.legacy.reader import Row, RowError, parsed_batches
from tests.legacy.helpers import HASHES, files, run_import, write_csv

pytestmark = pytest.mark.django_db


def test_parsed_in_a_child_process_and_looked_up_one_value_at_a_time_the_report_is_the_same(
        platform, tmp_path, monkeypatch):
    enterprises, persons = files(tmp_path)
    _, simple = run_import(tmp_path, enterprises=enterprises, persons=persons, dry_run=True)
    monkeypatch.setattr(reader, "PROCESS_FROM_BYTES", 0)  # every file parsed in a child process
    monkeypatch.setattr(importer, "LOOKUP_CHUNK", 1)  # every look-up in many slices
    _, sliced = run_import(tmp_path, enterprises=enterprises, persons=persons, dry_run=True)
    assert sliced == simple
    code, real = run_import(tmp_path, enterprises=enterprises, persons=persons)
    assert code == 1 and real == simple  # the HJ_ collisions are errors, the rest imported as decided
    assert real["totals"] == {"R1": 2, "R2": 2, "R3": 2, "R4": 2}


@pytest.mark.parametrize("in_process", [True, False])
def test_the_reader_yields_rows_and_errors_in_file_order_in_batches(tmp_path, in_process):
    path = write_csv(tmp_path / "p.csv", "person", [
        ["P1", "13000000001", HASHES[0], "甲", "", "", "", ""],
        ["P2", "not a mobile", HASHES[0], "乙", "", "", "", ""],
        ["P3", "13000000003", HASHES[0], "丙", "", "", "", "", "one field too many"],
        ["P4", "13000000004", HASHES[0], "丁", "", "", "", "2019-01-01T08:00:00"],
    ])
    batches = list(parsed_batches("person", path, 3, in_process=in_process))
    assert [len(batch) for batch, _ in batches] == [3, 1]
    items = [item for batch, _ in batches for item in batch]
    assert [type(item) for item in items] == [Row, RowError, RowError, Row]
    assert [item.legacy_id for item in items] == ["P1", "P2", "P3", "P4"]
    assert items[3].registered_at.utcoffset().total_seconds() == 8 * 3600  # the platform's zone
    assert all(seconds >= 0 for _, seconds in batches)


def test_a_reader_that_fails_stops_the_import_with_its_error(tmp_path, monkeypatch):
    def broken(kind, path):
        yield RowError(kind, 2, "P1", "坏行")
        raise OSError("disk gone")

    monkeypatch.setattr(reader, "read_rows", broken)
    batches = parsed_batches("person", str(tmp_path / "p.csv"), 1, in_process=False)
    assert next(batches)[0][0].legacy_id == "P1"
    with pytest.raises(OSError, match="disk gone"):
        next(batches)
