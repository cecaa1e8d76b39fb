"""import_legacy: stream the legacy CSV exports, decide each row's case, write in batches.

Each batch is read with a few set-based queries (the accounts holding the names it needs,
the legal accounts of its USCCs, the verified owners of its phones), decided row by row by
the pure rules, and written with bulk inserts in one transaction. Every legacy account is
recorded once (kind + legacy_id) with its decision, so a rerun — after success or after a
kill at any moment — skips what is recorded and redoes only what is not.
"""

import gc
import json
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from idp.accounts.models import PASSING_STATUSES, Account, AccountKind, NaturalPerson, Organisation
from idp.audit.log import record
from idp.audit.models import AuditEntry, Event
from idp.catalogue.known import HIGH_TECH, TECH_SME
from idp.catalogue.models import BusinessSystem
from idp.core import crypto
from idp.delegation import services as delegation
from idp.delegation.models import Grant
from idp.identifiers.documents import DOCUMENT_TYPES
from idp.legacy import bulk, rules
from idp.legacy.models import ImportFailure, ImportRun, LegacyAccount
from idp.legacy.reader import RowError, parsed_batches

_ID_NUMBER = NaturalPerson._meta.get_field("id_number")  # COPY writes its sealed form directly

GRANT_SYSTEMS = (HIGH_TECH, TECH_SME)  # SPEC 7.2 R4: 高企认定 and 科小企评价


class ImportSetupError(Exception):
    pass


class Report:
    """Totals in memory; accounts and errors streamed to temporary files, so memory does not
    grow with the input; written as the JSON of CONTRACT.md at the end."""

    def __init__(self):
        self.totals = Counter()
        self.by_kind = {rules.ENTERPRISE: Counter(), rules.PERSON: Counter()}
        self.error_count = 0
        self.timing = Counter()  # phase -> seconds: parse (beside the rest, reader.py), check, decide, write, report
        self._accounts = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._errors = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._pending = {"accounts": [], "errors": []}  # this batch's entries, written by flush()

    def account(self, kind, legacy_id, case, login_name, account_type, password, note):
        self.totals[case] += 1
        self.by_kind[kind][case] += 1
        self._pending["accounts"].append({
            "legacy_id": legacy_id, "kind": kind, "case": case, "login_name": login_name,
            "account_type": account_type, "login_window": account_type, "password": password, "note": note,
        })

    def timed(self, phase: str, seconds: float) -> None:
        self.timing[phase] += seconds

    def error(self, legacy_id, message):
        self.error_count += 1
        self._pending["errors"].append({"legacy_id": legacy_id or None, "error": message})

    def flush(self) -> None:
        """Write the pending entries as one line per file: `{…}, {…}` (one JSON call per batch)."""
        for name, out in (("accounts", self._accounts), ("errors", self._errors)):
            if self._pending[name]:
                out.write(json.dumps(self._pending[name], ensure_ascii=False)[1:-1] + "\n")
                self._pending[name].clear()

    def write(self, path: str) -> None:
        self.flush()
        with open(path, "w", encoding="utf-8") as out:
            out.write('{"totals": ' + json.dumps({case: self.totals[case] for case in ("R1", "R2", "R3", "R4")}))
            for name, source in (("accounts", self._accounts), ("errors", self._errors)):
                out.write(f', "{name}": [')
                source.seek(0)
                for i, line in enumerate(source):
                    out.write((", " if i else "") + line.rstrip("\n"))
                out.write("]")
            # Where the time went (seconds of wall time per phase; parsing overlaps the rest).
            out.write(', "timing": ' + json.dumps({phase: round(s, 3) for phase, s in self.timing.items()}))
            out.write("}\n")


@dataclass
class Importer:
    dry_run: bool = False
    batch_size: int = 2000
    progress: object = None  # callable(done_rows) or None
    report: Report = field(default_factory=Report)
    run: ImportRun | None = None
    rows_seen: int = 0
    batches: int = 0
    # The first row of each legacy_id and of each key (USCC / mobile) in this run, per kind: a
    # twin in any later batch gets the same answer in a dry run, a real run and a rerun.
    # str → str only: the garbage collector does not walk such dicts, however large they grow.
    first_key_of_id: dict = field(default_factory=lambda: {rules.ENTERPRISE: {}, rules.PERSON: {}})
    first_id_of_key: dict = field(default_factory=lambda: {rules.ENTERPRISE: {}, rules.PERSON: {}})
    # Kinds with records from earlier runs. On a first import the look-ups of earlier records
    # are skipped: this run's own rows are in the maps above.
    kinds_recorded_before: set = field(default_factory=set)
    parse_in_process: bool | None = None  # None: a child process for large files (reader.py)

    def import_files(self, *, enterprises: str | None, persons: str | None) -> Report:
        systems = {s.code: s for s in BusinessSystem.objects.filter(code__in=GRANT_SYSTEMS)}
        if len(systems) != len(GRANT_SYSTEMS):
            raise ImportSetupError("业务系统 高企认定(gqrd)和 科小企评价(kxqpj)尚未登记,R4 的代办授权无法创建")
        self.grant_systems = [systems[code] for code in GRANT_SYSTEMS]
        self.kinds_recorded_before = {kind for kind in (rules.ENTERPRISE, rules.PERSON)
                                      if LegacyAccount.objects.filter(kind=kind).exists()}
        if not self.dry_run:
            self.run = ImportRun.objects.create(enterprises_file=enterprises or "", persons_file=persons or "")
        with _collecting_between_batches():
            for kind, path in ((rules.ENTERPRISE, enterprises), (rules.PERSON, persons)):
                if not path:
                    continue
                for batch, seconds in parsed_batches(kind, path, self.batch_size, in_process=self.parse_in_process):
                    self.report.timed("parse", seconds)
                    if self.batches % 50 == 0:
                        refresh_statistics()
                        gc.collect()
                    self.batches += 1
                    self._batch(kind, batch)
                    self.rows_seen += len(batch)
                    if self.progress:
                        self.progress(self.rows_seen)
        if self.run is not None:
            self.run.finished_at = timezone.now()
            self.run.totals = {kind: dict(counter) for kind, counter in self.report.by_kind.items()}
            self.run.error_count, self.run.rows_seen = self.report.error_count, self.rows_seen
            self.run.save()
            record(Event.LEGACY_IMPORT, run=self.run.pk, totals=self.run.totals, errors=self.report.error_count)
        return self.report

    # --- one batch ---------------------------------------------------------------------------

    def _error(self, item, message):
        self.report.error(item.legacy_id, message)
        if self.run is not None:
            self._pending_errors.append({"run_id": self.run.pk, "kind": item.kind, "legacy_id": item.legacy_id,
                                         "key": getattr(item, "key", ""), "line": item.line,
                                         "error": message[:255]})

    def _batch(self, kind: str, batch: list) -> None:
        started = time.perf_counter()
        self._pending_errors = []
        rows = []
        for item in batch:
            if isinstance(item, RowError):
                self._error(item, item.error)
            else:
                rows.append(item)
        recorded, by_key = {}, {}
        if kind in self.kinds_recorded_before:  # a rerun or a resume: earlier runs' records count
            for chunk in _chunks([row.legacy_id for row in rows]):
                recorded.update((r.legacy_id, r) for r in LegacyAccount.objects.filter(kind=kind,
                                                                                      legacy_id__any_of=chunk))
            for chunk in _chunks([row.key for row in rows]):
                by_key.update((r.key, r) for r in LegacyAccount.objects.filter(kind=kind, key__any_of=chunk))
        what = "统一社会信用代码" if kind == rules.ENTERPRISE else "手机号"
        fresh = []
        first_key_of_id, first_id_of_key = self.first_key_of_id[kind], self.first_id_of_key[kind]
        for row in rows:
            if row.legacy_id in first_key_of_id:
                self._error(row, f"legacy_id {row.legacy_id} 在文件中重复(已按第一次出现的行处理)")
                continue
            if (first := first_id_of_key.get(row.key)) is not None:
                self._error(row, f"{what}在文件中重复(已由 legacy_id {first} 处理)")
                continue
            first_key_of_id[row.legacy_id] = row.key
            first_id_of_key[row.key] = row.legacy_id
            done = recorded.get(row.legacy_id)
            if done is not None:  # recorded by an earlier run (a rerun, or a resume after a kill)
                if done.key != row.key:
                    self._error(row, f"legacy_id 重复:已按 {done.key} 导入")
                else:
                    self.report.account(kind, row.legacy_id, done.case, done.login_name, done.account_type,
                                        done.password, done.note)
                continue
            if (other := by_key.get(row.key)) is not None:
                self._error(row, f"{what}已由 legacy_id {other.legacy_id} 导入")
                continue
            fresh.append(row)
        self.report.timed("check", time.perf_counter() - started)
        for attempt in range(2):
            try:
                self._decide_and_write(kind, fresh)
                break
            except IntegrityError:
                # An account was registered meanwhile under a name this batch wanted: decide again.
                if attempt:
                    raise
        bulk.insert(ImportFailure, self._pending_errors)
        self.report.flush()

    def _view(self, kind: str, rows: list) -> rules.PlatformView:
        keys = [row.key for row in rows]
        names = list({name.lower() for key in keys for name in (key, rules.PREFIX + key)})
        view = rules.PlatformView()
        for chunk in _chunks(names):
            for pk, login_name, account_kind, phone in Account.objects.filter(
                    login_name__lower__any_of=chunk).values_list("pk", "login_name", "kind", "phone"):
                view.holders[login_name.lower()] = rules.Holder(login_name, account_kind, phone, pk)
        for chunk in _chunks(keys):
            if kind == rules.ENTERPRISE:
                for uscc, pk, login_name in Organisation.objects.filter(uscc__any_of=chunk).values_list(
                        "uscc", "account_id", "account__login_name"):
                    view.legal_by_uscc[uscc] = rules.Holder(login_name, rules.LEGAL, "", pk)
            else:
                view.verified_phones.update(Account.objects.filter(
                    kind=AccountKind.NATURAL, phone__any_of=chunk, realname_status__in=PASSING_STATUSES,
                ).values_list("phone", flat=True))
        return view

    def _decide_and_write(self, kind: str, rows: list) -> None:
        started = time.perf_counter()
        view = self._view(kind, rows)
        decided, refused = [], []
        for row in rows:
            try:
                decision = (rules.decide_enterprise(row.key, view) if kind == rules.ENTERPRISE
                            else rules.decide_person(row.key, view))
            except rules.NameTaken as taken:
                refused.append((row, str(taken)))
                continue
            if decision.create:  # later rows of the batch see the name as taken
                view.holders[decision.login_name.lower()] = rules.Holder(decision.login_name,
                                                                        decision.account_type, row.phone)
            decided.append((row, decision))
        written = time.perf_counter()
        self.report.timed("decide", written - started)
        if not self.dry_run:
            with transaction.atomic():
                self._write(kind, decided)
        reported = time.perf_counter()
        self.report.timed("write", reported - written)
        # Reported only once the batch is written, so a retried batch is reported once.
        for row, message in refused:
            self._error(row, message)
        for row, d in decided:
            self.report.account(kind, row.legacy_id, d.case, d.login_name, d.account_type, d.password, d.note)
        self.report.timed("report", time.perf_counter() - reported)

    def _write(self, kind: str, decided: list) -> None:
        """Bulk-write one batch: accounts, profiles, R4 grants (audited on both sides) and
        the records of every decision."""
        now = timezone.now()
        new = [(row, d) for row, d in decided if d.create]
        ids = bulk.allocate_ids(Account, len(new))
        accounts, people, organisations, grants, audits = [], [], [], [], []
        created = {}
        for (row, d), account_id in zip(new, ids, strict=True):
            created[id(row)] = account_id
            accounts.append({"id": account_id, "login_name": d.login_name, "kind": d.account_type,
                             "phone": row.phone, "email": row.email, "password": row.password,
                             "date_joined": row.registered_at or now})
            if d.account_type == rules.NATURAL:
                person = {"account_id": account_id,
                          "name": row.name if kind == rules.PERSON else row.contact_name}
                if kind == rules.PERSON and row.id_number:
                    person.update(identity_type=DOCUMENT_TYPES[row.id_type].identity_type, id_type=row.id_type,
                                  id_number=_ID_NUMBER.seal(row.id_number, account_id),
                                  id_index=crypto.blind_index(row.id_type, row.id_number))
                people.append(person)
            else:
                organisations.append({"account_id": account_id, "name": row.name, "uscc": row.key,
                                      "region_type": "domestic", "legal_type": "enterprise",
                                      "agent_name": row.contact_name})
            if kind == rules.ENTERPRISE and d.case == "R4":
                rows, audited = delegation.migration_grant_rows(
                    organisation=d.existing, person_id=account_id, person_login_name=d.login_name,
                    systems=self.grant_systems, at=now)
                grants += rows
                audits += audited
        bulk.insert(Account, accounts)
        bulk.insert(NaturalPerson, people)
        bulk.insert(Organisation, organisations)
        bulk.insert(Grant, grants)
        bulk.insert(AuditEntry, audits)
        bulk.insert(LegacyAccount, [
            {"kind": kind, "legacy_id": row.legacy_id, "key": row.key, "case": d.case, "login_name": d.login_name,
             "account_type": d.account_type, "password": d.password, "note": d.note,
             "run_id": self.run.pk if self.run else None, "line": row.line,
             "account_id": created[id(row)] if d.create else d.existing.pk if d.existing else None}
            for row, d in decided])


@contextmanager
def _collecting_between_batches():
    """The garbage collector's automatic runs walk every live object, and the import holds many:
    they cost a tenth of its time. Objects of one batch form no cycles, so automatic collection is
    paused for the run and a full one made every 50 batches (import_files)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Values per `= ANY(…)` look-up: PostgreSQL plans an array of many thousands as a sequential scan
# of the whole table (~0.5 s on a million accounts) where a thousand at a time use the index.
LOOKUP_CHUNK = 1000


def _chunks(values: list):
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start:start + LOOKUP_CHUNK]


def refresh_statistics() -> None:
    """ANALYZE the tables the batch look-ups read. Without fresh statistics (after a bulk load,
    or as this import grows them) PostgreSQL plans those look-ups as sequential scans."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Account, Organisation, LegacyAccount):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class ProgressBar:
    """`[#####.....] 45%  123,456/273,000 rows  4,321 rows/s  ETA 0:34` on a terminal."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.stream, self.started = max(total, 1), stream, time.monotonic()

    def __call__(self, done: int) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        left = (self.total - done) / rate if rate else 0
        filled = int(30 * min(done / self.total, 1))
        eta = f"{int(left) // 60}:{int(left) % 60:02d}"
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * done // self.total:3d}%  "
                          f"{done:,}/{self.total:,} rows  {rate:,.0f} rows/s  ETA {eta}")
        self.stream.flush()

    def close(self):
        self.stream.write("\n")


def count_rows(path: str | None) -> int:
    if not path or not os.path.exists(path):
        return 0
    with open(path, "rb") as handle:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 0)
