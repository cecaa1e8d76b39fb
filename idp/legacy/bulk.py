"""Fast bulk writes for the migration: PostgreSQL COPY, executemany elsewhere.

Rows are dicts of column → value; every column not given takes the model field's default,
prepared once per table. Values must already be what the database stores (encrypted text,
blind indexes, foreign-key ids); datetimes and JSON go through the backend's adapters.
"""

from django.db import connection


class Table:
    def __init__(self, model):
        self.model = model
        self.name = model._meta.db_table
        fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in fields]
        self.defaults = {}
        for f in fields:
            if f.primary_key:
                continue
            default = f.get_default() if f.has_default() or f.null or f.blank else ""
            self.defaults[f.column] = f.get_db_prep_save(default, connection)
        self.datetime_columns = {f.column for f in fields if f.get_internal_type() == "DateTimeField"}
        self.json_columns = {f.column for f in fields if f.get_internal_type() == "JSONField"}

    def insert_columns(self, with_id: bool) -> list[str]:
        return self.columns if with_id else [c for c in self.columns if c != "id"]

    def tuples(self, rows: list[dict], with_id: bool):
        columns = self.insert_columns(with_id)
        adapt, adapt_json = connection.ops.adapt_datetimefield_value, connection.ops.adapt_json_value
        position = {column: i for i, column in enumerate(columns)}
        template = [self.defaults.get(column) for column in columns]
        for row in rows:
            # The defaults, then the few columns the row gives (cheaper than a look-up per column).
            values = template.copy()
            for column, value in row.items():
                if column in self.datetime_columns and value is not None:
                    value = adapt(value)
                elif column in self.json_columns:
                    value = adapt_json(value, None)
                values[position[column]] = value
            yield values


_tables: dict = {}


def table(model) -> Table:
    if model not in _tables:
        _tables[model] = Table(model)
    return _tables[model]


def allocate_ids(model, count: int) -> list[int]:
    """Primary keys for `count` new rows, taken before the insert (COPY cannot return them)."""
    if not count:
        return []
    name = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) FROM generate_series(1, %s)",
                           [count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the batch runs in a write transaction (BEGIN IMMEDIATE), so nobody else inserts.
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"')
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert(model, rows: list[dict]) -> None:
    """Insert `rows` (each with or without an "id")."""
    if not rows:
        return
    spec = table(model)
    with_id = "id" in rows[0]
    tuples = spec.tuples(rows, with_id)
    columns = spec.insert_columns(with_id)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(spec.name)} ({quoted}) FROM STDIN") as copy:
                for values in tuples:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {connection.ops.quote_name(spec.name)} ({quoted}) VALUES ({marks})",
                               list(tuples))
