"""Reading the legacy CSV exports: each record becomes a Row or a RowError, in batches.

A large file is parsed in a child process, so that parsing (pure Python) runs on another core
while the importer decides and writes the previous batch; a small one in a thread beside the
importer, where starting a process would cost more than it saves.
"""

import csv
import itertools
import multiprocessing
import os
import queue
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.utils import timezone

from idp.identifiers import validators
from idp.identifiers.documents import DOCUMENT_TYPES
from idp.legacy import rules
from idp.legacy.hashers import InvalidLegacyHash, legacy_password

COLUMNS = {
    rules.ENTERPRISE: ["legacy_id", "uscc", "password_hash", "org_name", "contact_name", "contact_mobile", "email",
                       "registered_at"],
    rules.PERSON: ["legacy_id", "mobile", "password_hash", "name", "id_type", "id_number", "email", "registered_at"],
}
NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (decoded with surrogateescape)
PROCESS_FROM_BYTES = 8 << 20  # files from this size are parsed in a child process


class Row(NamedTuple):  # a tuple: batches cross from the parsing process cheaply
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
    # The platform's zone (make_aware would look up the active zone for every row).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.get_default_timezone())


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


def _produce(kind: str, path: str, size: int, ready) -> None:
    """Put (batch, seconds spent parsing it) on `ready`, then an empty batch; an exception instead
    if reading fails."""
    try:
        rows = read_rows(kind, path)
        while True:
            started = time.perf_counter()
            batch = list(itertools.islice(rows, size))
            ready.put((batch, time.perf_counter() - started))
            if not batch:
                return
    except Exception as error:  # handed to the importer, which raises it
        ready.put(error)


def _produce_in_child(kind: str, path: str, size: int, ready) -> None:
    import django

    django.setup()  # a spawned interpreter: the settings the validators read
    _produce(kind, path, size, ready)


def parsed_batches(kind: str, path: str, size: int, *, in_process: bool | None = None):
    """The file's rows in batches of `size`, parsed one or two batches ahead of the caller:
    yields (batch, parse seconds). `in_process` None: a child process for large files."""
    if in_process is None:
        in_process = os.path.isfile(path) and os.path.getsize(path) >= PROCESS_FROM_BYTES
    if in_process:
        # spawn, not fork: the child must not share the importer's database connection.
        context = multiprocessing.get_context("spawn")
        ready = context.Queue(maxsize=2)
        worker = context.Process(target=_produce_in_child, args=(kind, path, size, ready), daemon=True,
                                 name=f"legacy-reader-{kind}")
    else:
        ready = queue.Queue(maxsize=2)
        worker = threading.Thread(target=_produce, args=(kind, path, size, ready), daemon=True,
                                  name=f"legacy-reader-{kind}")
    worker.start()
    try:
        while True:
            try:
                item = ready.get(timeout=5)
            except queue.Empty:
                if not worker.is_alive():  # died without a word (killed, out of memory)
                    raise RuntimeError(f"the reader of {path} stopped unexpectedly") from None
                continue
            if isinstance(item, Exception):
                raise item
            batch, seconds = item
            if not batch:
                return
            yield batch, seconds
    finally:
        if in_process and worker.is_alive():  # the importer stopped early (an error)
            worker.terminate()
        worker.join(timeout=5)
