"""import_legacy: stream the legacy CSV exports, decide each row's case, write in batches.

Each batch is read with a few set-based queries (the accounts holding the names it needs,
the legal accounts of its USCCs, the verified owners of its phones), decided row by row by
the pure rules, and written with bulk inserts in one transaction. Every legacy account is
recorded once (kind + legacy_id) with its decision, so a rerun — after success or after a
kill at any moment — skips what is recorded and redoes only what is not.
"""

import csv
import itertools
import json
import os
import queue
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from idp.accounts.models import PASSING_STATUSES, Account, AccountKind, NaturalPerson, Organisation
from idp.audit.log import record
from idp.audit.models import AuditEntry, Event
from idp.catalog.demo import HIGH_TECH, TECH_SME
from idp.catalog.models import BusinessSystem
from idp.core import crypto
from idp.delegation.models import Grant, GrantSource
from idp.identifiers import validators
from idp.identifiers.documents import DOCUMENT_TYPES
from idp.migration import bulk, rules
from idp.migration.hashers import InvalidLegacyHash, legacy_password
from idp.migration.models import LegacyAccount, MigrationError, MigrationRun

_ID_NUMBER = NaturalPerson._meta.get_field("id_number")  # COPY writes its sealed form directly

COLUMNS = {
    rules.ENTERPRISE: ["legacy_id", "uscc", "password_hash", "org_name", "contact_name", "contact_mobile", "email",
                       "registered_at"],
    rules.PERSON: ["legacy_id", "mobile", "password_hash", "name", "id_type", "id_number", "email", "registered_at"],
}
GRANT_SYSTEMS = (HIGH_TECH, TECH_SME)  # SPEC 7.2 R4: 高企认定 and 科小企评价
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (decoded with surrogateescape)


class MigrationSetupError(Exception):
    pass


@dataclass
class Row:
    kind: str
    line: int
    legacy_id: str
    key: str  # USCC or mobile
    password: str  # Account.password value
    name: str
    phone: str
    email: str
    registered_at: datetime | None
    id_type: str = ""
    id_number: str = ""
    contact_name: str = ""  # enterprises: the legacy contact person, who becomes the main agent


@dataclass
class RowError:
    kind: str
    line: int
    legacy_id: str
    error: str
    key: str = ""  # the row's USCC / mobile when it is valid: the lookup finds the failed row by it


def _parse_time(value: str):
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


def _clean(value) -> str:
    return (value or "").strip().strip("\u3000")


def parse_row(kind: str, line: int, raw: dict) -> Row | RowError:
    """One CSV record → a Row, or a RowError saying what is wrong (never echoing the hash).
    A RowError carries the row's key when that much is valid, for 账号检索."""
    parsed = _parse_row(kind, line, raw)
    if isinstance(parsed, RowError) and None not in raw and all(isinstance(v, str) for v in raw.values()):
        try:
            parsed.key = (validators.uscc(raw.get("uscc", "")) if kind == rules.ENTERPRISE
                          else validators.mobile(raw.get("mobile", "")))
        except validators.InvalidIdentifier:
            pass
    return parsed


def _parse_row(kind: str, line: int, raw: dict) -> Row | RowError:
    legacy_id = _clean(raw.get("legacy_id") if isinstance(raw.get("legacy_id"), str) else "")[:64]
    # The shape first: a row with too many fields carries its extra values as a list under None.
    if None in raw or any(value is None for value in raw.values()):
        return RowError(kind, line, NOT_UTF8.sub("", legacy_id), "该行的列数与表头不一致")
    if any(NOT_UTF8.search(value) for value in raw.values()):
        return RowError(kind, line, NOT_UTF8.sub("", legacy_id), "该行不是有效的 UTF-8 文本")
    if any("\x00" in value for value in raw.values()):
        return RowError(kind, line, legacy_id.replace("\x00", ""), "该行含有 NUL 字符")
    if not legacy_id:
        return RowError(kind, line, "", "缺少 legacy_id")
    try:
        password = legacy_password(raw["password_hash"])
    except InvalidLegacyHash:
        return RowError(kind, line, legacy_id, "password_hash 格式无法识别或已损坏")
    email = _clean(raw.get("email"))
    registered_at = _parse_time(raw.get("registered_at"))
    try:
        if kind == rules.ENTERPRISE:
            uscc = validators.uscc(raw["uscc"])
            phone = _clean(raw.get("contact_mobile"))
            phone = validators.mobile(phone) if phone else ""
            return Row(kind, line, legacy_id, uscc, password, _clean(raw.get("org_name"))[:200] or uscc,
                       phone, email[:254], registered_at, contact_name=_clean(raw.get("contact_name"))[:100])
        mobile = validators.mobile(raw["mobile"])
    except validators.InvalidIdentifier as error:
        what = "uscc" if kind == rules.ENTERPRISE else "mobile"
        return RowError(kind, line, legacy_id, f"{what} 无效:{error}")
    id_type, id_number = _clean(raw.get("id_type")), _clean(raw.get("id_number"))
    if id_type in DOCUMENT_TYPES and id_number:
        try:
            id_number = DOCUMENT_TYPES[id_type].validate(id_number)
        except validators.InvalidIdentifier:
            id_type, id_number = "", ""  # the account is created without the document (note says so)
    else:
        id_type, id_number = "", ""
    return Row(kind, line, legacy_id, mobile, password, _clean(raw.get("name"))[:100], mobile, email[:254],
               registered_at, id_type=id_type, id_number=id_number)


def read_rows(kind: str, path: str):
    """Stream a legacy CSV file: Rows and RowErrors, one at a time."""
    try:
        handle = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")  # noqa: SIM115
    except OSError as error:
        yield RowError(kind, 0, "", f"无法读取文件:{error.strerror}")
        return
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        if not header:
            yield RowError(kind, 0, "", "文件是空的")
            return
        missing = [column for column in COLUMNS[kind] if column not in header]
        if missing:
            yield RowError(kind, 1, "", "文件缺少列:" + ", ".join(missing))
            return
        records = iter(reader)
        while True:
            try:
                raw = next(records)
            except StopIteration:
                return
            except csv.Error as error:  # an unterminated quote, a field over the size limit …
                yield RowError(kind, reader.line_num, "", f"该行无法按 CSV 解析:{error}")
                continue
            yield parse_row(kind, reader.line_num, raw)


class Report:
    """Totals in memory; accounts and errors streamed to temporary files, so memory does not
    grow with the input; written as the JSON of CONTRACT.md at the end."""

    def __init__(self):
        self.totals = Counter()
        self.by_kind = {rules.ENTERPRISE: Counter(), rules.PERSON: Counter()}
        self.error_count = 0
        self.timing = Counter()  # phase -> seconds: parse (in the reader thread), check, decide, write, report
        self._accounts = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._errors = tempfile.TemporaryFile("w+", encoding="utf-8")

    def account(self, kind, legacy_id, case, login_name, account_type, password, note):
        self.totals[case] += 1
        self.by_kind[kind][case] += 1
        self._accounts.write(json.dumps({
            "legacy_id": legacy_id, "kind": kind, "case": case, "login_name": login_name,
            "account_type": account_type, "login_window": account_type, "password": password, "note": note,
        }, ensure_ascii=False) + "\n")

    def timed(self, phase: str, seconds: float) -> None:
        self.timing[phase] += seconds

    def error(self, legacy_id, message):
        self.error_count += 1
        self._errors.write(json.dumps({"legacy_id": legacy_id or None, "error": message}, ensure_ascii=False) + "\n")

    def write(self, path: str) -> None:
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
    run: MigrationRun | None = None
    rows_seen: int = 0
    batches: int = 0
    # The first row of each legacy_id and of each key (USCC / mobile) in this run, per kind: a
    # twin in any later batch gets the same answer in a dry run, a real run and a rerun.
    first_key_of_id: dict = field(default_factory=dict)
    first_id_of_key: dict = field(default_factory=dict)
    # Kinds with records from earlier runs. On a first import the look-ups of earlier records
    # are skipped: this run's own rows are in the maps above.
    kinds_recorded_before: set = field(default_factory=set)

    def import_files(self, *, enterprises: str | None, persons: str | None) -> Report:
        systems = {s.code: s for s in BusinessSystem.objects.filter(code__in=GRANT_SYSTEMS)}
        if len(systems) != len(GRANT_SYSTEMS):
            raise MigrationSetupError("业务系统 高企认定(gqrd)和 科小企评价(kxqpj)尚未登记,R4 的代办授权无法创建")
        self.grant_systems = [systems[code] for code in GRANT_SYSTEMS]
        self.kinds_recorded_before = {kind for kind in (rules.ENTERPRISE, rules.PERSON)
                                      if LegacyAccount.objects.filter(kind=kind).exists()}
        if not self.dry_run:
            self.run = MigrationRun.objects.create(enterprises_file=enterprises or "", persons_file=persons or "")
        for kind, path in ((rules.ENTERPRISE, enterprises), (rules.PERSON, persons)):
            if not path:
                continue
            for batch in self._parsed_batches(kind, path):
                if self.batches % 50 == 0:
                    refresh_statistics()
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
            record(Event.MIGRATION_RUN, run=self.run.pk, totals=self.run.totals, errors=self.report.error_count)
        return self.report

    def _parsed_batches(self, kind: str, path: str):
        """The file's rows in batches, parsed by a reader thread one batch ahead: parsing (Python)
        overlaps the database's work on the previous batch (psycopg waits without the GIL)."""
        ready: queue.Queue = queue.Queue(maxsize=2)

        def read():
            try:
                rows = read_rows(kind, path)
                while True:
                    started = time.perf_counter()
                    batch = list(itertools.islice(rows, self.batch_size))
                    self.report.timed("parse", time.perf_counter() - started)
                    ready.put(batch)
                    if not batch:
                        return
            except BaseException as error:  # handed to the importer's thread
                ready.put(error)

        threading.Thread(target=read, daemon=True, name=f"legacy-reader-{kind}").start()
        while True:
            batch = ready.get()
            if isinstance(batch, BaseException):
                raise batch
            if not batch:
                return
            yield batch

    # --- one batch ---------------------------------------------------------------------------

    def _error(self, item, message):
        self.report.error(item.legacy_id, message)
        if self.run is not None:
            self._pending_errors.append(MigrationError(run=self.run, kind=item.kind, legacy_id=item.legacy_id,
                                                       key=getattr(item, "key", ""), line=item.line,
                                                       error=message[:255]))

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
            recorded = {r.legacy_id: r for r in LegacyAccount.objects.filter(
                kind=kind, legacy_id__any_of=[row.legacy_id for row in rows])}
            by_key = {r.key: r for r in LegacyAccount.objects.filter(kind=kind, key__any_of=[row.key for row in rows])}
        what = "统一社会信用代码" if kind == rules.ENTERPRISE else "手机号"
        fresh = []
        for row in rows:
            if (kind, row.legacy_id) in self.first_key_of_id:
                self._error(row, f"legacy_id {row.legacy_id} 在文件中重复(已按第一次出现的行处理)")
                continue
            if (first := self.first_id_of_key.get((kind, row.key))) is not None:
                self._error(row, f"{what}在文件中重复(已由 legacy_id {first} 处理)")
                continue
            self.first_key_of_id[(kind, row.legacy_id)] = row.key
            self.first_id_of_key[(kind, row.key)] = row.legacy_id
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
        if self._pending_errors:
            MigrationError.objects.bulk_create(self._pending_errors)

    def _view(self, kind: str, rows: list) -> rules.PlatformView:
        keys = [row.key for row in rows]
        names = {name.lower() for key in keys for name in (key, rules.PREFIX + key)}
        view = rules.PlatformView()
        for pk, login_name, account_kind, phone in Account.objects.filter(login_name__lower__any_of=names).values_list(
                "pk", "login_name", "kind", "phone"):
            view.holders[login_name.lower()] = rules.Holder(login_name, account_kind, phone, pk)
        if kind == rules.ENTERPRISE:
            for uscc, pk, login_name in Organisation.objects.filter(uscc__any_of=keys).values_list(
                    "uscc", "account_id", "account__login_name"):
                view.legal_by_uscc[uscc] = rules.Holder(login_name, rules.LEGAL, "", pk)
        else:
            view.verified_phones = set(Account.objects.filter(
                kind=AccountKind.NATURAL, phone__any_of=keys, realname_status__in=PASSING_STATUSES,
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
                for system in self.grant_systems:
                    grants.append({"organisation_id": d.existing.pk, "person_id": account_id,
                                   "system_id": system.pk, "source": GrantSource.MIGRATION, "created_at": now})
                    for side, other in ((d.existing.pk, d.login_name), (account_id, d.existing.login_name)):
                        audits.append({"event": Event.GRANT_CREATED, "account_id": side, "at": now,
                                       "detail": connection.ops.adapt_json_value(
                                           {"system": system.code, "source": "migration", "with": other}, None)})
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
