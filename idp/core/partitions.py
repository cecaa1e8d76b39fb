"""Monthly partitions for the tables whose rows pile up (refresh tokens, the audit log), on PostgreSQL.

Such a table is range-partitioned by a timestamp column, one partition per calendar month (UTC),
so that expiry is dropping a month's partition — no purge scans or deletes millions of rows — and
the searches by time read only the months they ask for. `convert` (run by a migration) turns an
existing table into the partitioned one without copying it: the table as it was becomes the
partition of everything up to the month after next (`<table>_before`). `ensure` keeps the coming months'
partitions made ahead of need (each table's periodic purge calls it) and a DEFAULT partition
catches a row no month holds yet, so an insert never fails for want of a partition. `drop_before`
is the purge.

On SQLite none of this applies: every function here does nothing there, and the purges delete
rows as before. The unique constraints of a partitioned table must hold the partition column,
so `convert` adds it to each of them (the values they guard are random digests and sequence
numbers, unique anyway); the primary key becomes (id, column), the id still drawn from one
sequence.
"""

import re
from datetime import UTC, datetime

from django.db import connection, transaction

MONTHS_AHEAD = 3
# Dropping a partition locks its table for a moment; behind a long query it gives up and the next purge tries again,
# rather than queueing every request behind it.
LOCK_TIMEOUT = "5s"
_TO = re.compile(r"TO \('([^']+)'\)")


def _is_postgresql(conn=None) -> bool:
    return (conn or connection).vendor == "postgresql"


def month_start(at: datetime, plus: int = 0) -> datetime:
    months = at.year * 12 + at.month - 1 + plus
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)


def convert(schema_editor, table: str, column: str, *, now: datetime | None = None) -> None:
    """In a migration (RunPython; atomic = False on PostgreSQL): make `table` partitioned by month on
    `column`. Its rows stay where they are, in the first partition, and it stays writable while the
    unique indexes with the partition column are built (CONCURRENTLY) and the first partition's bound
    is checked; the swap itself then takes a moment under the table's lock."""
    conn = schema_editor.connection
    if not _is_postgresql(conn):
        return
    q = schema_editor.quote_name
    before = f"{table}_before"
    bound = month_start(now or datetime.now(UTC), 2)  # the first partition's end: no row written meanwhile passes it
    online = "" if conn.in_atomic_block else "CONCURRENTLY"  # (a test's transaction builds them plainly)
    with conn.cursor() as cursor:
        cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')", [table])
        constraints = [(name, kind, _with_column(text, column) if kind in "pu" else text)
                       for name, kind, text in cursor.fetchall()]
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                       "AND tablename = %s", [table])
        owned = {name for name, kind, _ in constraints if kind in "pu"}
        indexes = [(name, definition) for name, definition in cursor.fetchall() if name not in owned]

    # While the table is in use: the unique indexes it will need, and proof that every row lies before `bound`.
    if conn.in_atomic_block:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a table with pending checks cannot be altered
    unique = [(name, f"{name[:52]}_before", definition) for name, kind, definition in constraints if kind in "pu"]
    for _, index, definition in unique:
        columns = definition[definition.index("("):]
        schema_editor.execute(f"CREATE UNIQUE INDEX {online} IF NOT EXISTS {q(index)} ON {q(table)} {columns}")
    schema_editor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT IF EXISTS {q(table + '_bound')}")  # a rerun
    schema_editor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(table + '_bound')} "
                          f"CHECK ({q(column)} < %s) NOT VALID", [bound])
    schema_editor.execute(f"ALTER TABLE {q(table)} VALIDATE CONSTRAINT {q(table + '_bound')}")

    # The swap: the partitioned table takes the name, the old one becomes its first partition, and the
    # indexes and foreign keys built above or before are adopted, none built again.
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        schema_editor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(before)}")
        cursor.execute("SELECT coalesce(max(id), 0) FROM " + q(before))
        last_id = cursor.fetchone()[0]
        schema_editor.execute(f"ALTER TABLE {q(before)} ALTER COLUMN id DROP IDENTITY IF EXISTS")
        for name, index, definition in unique:
            schema_editor.execute(f"ALTER TABLE {q(before)} DROP CONSTRAINT {q(name)}")
            kind = "PRIMARY KEY" if definition.startswith("PRIMARY KEY") else "UNIQUE"
            schema_editor.execute(f"ALTER TABLE {q(before)} ADD CONSTRAINT {q(index)} {kind} USING INDEX {q(index)}")
        for name, _ in indexes:
            schema_editor.execute(f"ALTER INDEX {q(name)} RENAME TO {q(name[:56] + '_before')}")
        schema_editor.execute(f"CREATE TABLE {q(table)} (LIKE {q(before)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                              f"PARTITION BY RANGE ({q(column)})")
        schema_editor.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(table + '_bound')}")
        sequence = table + "_id_seq"
        schema_editor.execute(f"CREATE SEQUENCE {q(sequence)} OWNED BY {q(table)}.id")
        schema_editor.execute("SELECT setval(%s, %s, %s)", [sequence, max(last_id, 1), last_id > 0])
        schema_editor.execute(f"ALTER TABLE {q(table)} ALTER COLUMN id SET DEFAULT nextval(%s)", [sequence])
        schema_editor.execute(f"ALTER TABLE {q(table)} ATTACH PARTITION {q(before)} FOR VALUES FROM (MINVALUE) TO (%s)",
                              [bound])
        schema_editor.execute(f"ALTER TABLE {q(before)} DROP CONSTRAINT {q(table + '_bound')}")
        for name, _, definition in constraints:
            schema_editor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        for _, definition in indexes:
            schema_editor.execute(definition)
        schema_editor.execute(f"CREATE TABLE {q(table + '_default')} PARTITION OF {q(table)} DEFAULT")
    ensure(table, now=now, using=conn)


def _with_column(definition: str, column: str) -> str:
    """A PRIMARY KEY or UNIQUE constraint's definition with the partition column among its columns."""
    head, columns = re.match(r"([^(]*)\((.*)\)$", definition).groups()
    names = [name.strip() for name in columns.split(",")]
    return definition if column in names else f"{head}({', '.join([*names, column])})"


def bounds(table: str) -> dict[str, datetime | None]:
    """Each partition of `table` by name, with the end of its range (None for the DEFAULT partition)."""
    with connection.cursor() as cursor:
        return dict(_partitions(cursor, table))


def _partitions(cursor, table: str) -> list[tuple[str, datetime | None]]:
    """Each partition of `table` with the end of its range (None for the DEFAULT partition)."""
    cursor.execute("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                   "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass", [table])
    found = []
    for name, bound in cursor.fetchall():
        upper = _TO.search(bound)
        found.append((name, datetime.fromisoformat(upper[1]).astimezone(UTC) if upper else None))
    return found


def is_partitioned(table: str) -> bool:
    if not _is_postgresql():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone() is not None


def ensure(table: str, *, now: datetime | None = None, using=None) -> list[str]:
    """Make the partitions of the months from the last one made until MONTHS_AHEAD ahead of `now`.
    Rows the DEFAULT partition caught for such a month move into it. Returns the partitions made."""
    conn = using or connection
    if not _is_postgresql(conn):
        return []
    q = conn.ops.quote_name
    until = month_start(now or datetime.now(UTC), MONTHS_AHEAD + 1)
    made = []
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [table])  # one maker at a time (two nodes' purges)
        cursor.execute("SELECT partattrs[0] FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        row = cursor.fetchone()
        if row is None:  # not (yet) partitioned
            return []
        cursor.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = %s",
                       [table, row[0]])
        column = q(cursor.fetchone()[0])
        ends = [upper for _, upper in _partitions(cursor, table) if upper is not None]
        start = max(ends)
        while start < until:
            end = month_start(start, 1)
            name = f"{table}_p{start:%Y%m}"
            # Made apart, then attached: the rows of its month that the DEFAULT partition holds move first.
            cursor.execute(f"CREATE TABLE {q(name)} (LIKE {q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            cursor.execute(f"WITH moved AS (DELETE FROM {q(table + '_default')} WHERE {column} >= %s AND {column} < %s "
                           f"RETURNING *) INSERT INTO {q(name)} SELECT * FROM moved", [start, end])
            cursor.execute(f"ALTER TABLE {q(table)} ATTACH PARTITION {q(name)} FOR VALUES FROM (%s) TO (%s)",
                           [start, end])
            made.append(name)
            start = end
    return made


def drop(name: str) -> int:
    """Drop one partition; how many rows went with it."""
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a table with pending checks cannot be dropped
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"SELECT count(*) FROM {q(name)}")
        rows = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {q(name)}")
    return rows


def drop_before(table: str, cutoff: datetime) -> int:
    """Drop every month partition whose rows all lie before `cutoff`; how many rows went with them."""
    return sum(drop(name) for name in partitions_before(table, cutoff))


def partitions_before(table: str, cutoff: datetime) -> list[str]:
    """The month partitions whose rows all lie before `cutoff`, oldest first."""
    if not _is_postgresql():
        return []
    found = [(upper, name) for name, upper in bounds(table).items() if upper is not None and upper <= cutoff]
    return [name for _, name in sorted(found)]
