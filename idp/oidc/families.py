"""Token families — an Authorization and the refresh tokens rotated from it — in plain SQL.

The refresh grant, the code exchange and userinfo run these few fixed statements instead of
ORM queries: building the ORM queries cost several times more than the database work, and
on PostgreSQL the statements are prepared once per connection, so they are not planned again
(make bench, README "Measured"). The models in models.py still own the schema; this module
only reads and writes their rows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from idp.accounts.models import Account, NaturalPerson, Organisation
from idp.oidc.models import Authorization, RefreshToken
from idp.sso.claims import Party

_A, _R = Authorization._meta.db_table, RefreshToken._meta.db_table
_ACC, _P, _O = Account._meta.db_table, NaturalPerson._meta.db_table, Organisation._meta.db_table

_COLUMNS = """a.id, a.client_id, a.scope, a.auth_time, a.session_id, a.revoked_at,
       u.id, u.kind, u.is_active, u.realname_status, u.login_name, up.name, uo.name, uo.uscc, uo.legal_type,
       f.id, f.kind, f.is_active, f.realname_status, f.login_name, fo.name, fo.uscc, fo.legal_type"""
_JOINS = f"""JOIN {_ACC} u ON u.id = a.account_id
LEFT JOIN {_P} up ON up.account_id = u.id
LEFT JOIN {_O} uo ON uo.account_id = u.id
LEFT JOIN {_ACC} f ON f.id = a.acting_for_id
LEFT JOIN {_O} fo ON fo.account_id = f.id"""

_LOAD = f"SELECT {_COLUMNS} FROM {_A} a {_JOINS} WHERE a.id = %s"

# Spends a refresh token of this client's live family, once (compare-and-set on used_at).
_SPEND = f"""UPDATE {_R} SET used_at = %s
WHERE digest = %s AND used_at IS NULL AND expires_at > %s
  AND authorization_id IN (SELECT id FROM {_A} WHERE client_id = %s AND revoked_at IS NULL)
RETURNING authorization_id"""
_ADD_REFRESH = f"INSERT INTO {_R} (digest, authorization_id, created_at, expires_at) VALUES (%s, %s, %s, %s)"
_CREATE = f"""INSERT INTO {_A} (client_id, account_id, acting_for_id, session_id, scope, auth_time, created_at,
                    revoke_reason) VALUES (%s, %s, %s, %s, %s, %s, %s, '') RETURNING id"""

# PostgreSQL does each of these in one statement (one round trip, one commit): data-modifying
# WITH clauses. SQLite has none, so there the same steps run one by one in a transaction.
_ROTATE_PG = f"""WITH spent AS ({_SPEND}),
successor AS (INSERT INTO {_R} (digest, authorization_id, created_at, expires_at)
              SELECT %s, authorization_id, %s, %s FROM spent RETURNING authorization_id)
SELECT {_COLUMNS} FROM successor s JOIN {_A} a ON a.id = s.authorization_id {_JOINS}"""
# (A row inserted by a WITH clause is visible only through its RETURNING list.)
_OPEN_PG = f"""WITH a AS ({_CREATE.removesuffix("RETURNING id")}
               RETURNING id, client_id, scope, auth_time, session_id, revoked_at, account_id, acting_for_id),
first_token AS (INSERT INTO {_R} (digest, authorization_id, created_at, expires_at)
                SELECT %s, id, %s, %s FROM a)
SELECT {_COLUMNS} FROM a {_JOINS}"""


@dataclass(frozen=True)
class Family:
    pk: int
    client_pk: int
    scope: str
    auth_time: datetime
    session_pk: int | None
    revoked: bool
    account: Party
    acting_for: Party | None


def _rows(sql: str, params: list, *, fetch: bool = True) -> list:
    connection.close_if_health_check_failed()  # CONN_HEALTH_CHECKS, as Django's own cursors do
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        # Django's wrapper turns psycopg's errors into its own and marks the connection, so that a
        # connection broken by a database restart is closed and replaced at the request's end.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True, binary=True)  # prepared once; binary rows parse faster
            return cursor.fetchall() if fetch else []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if fetch else []


def _db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _py_time(value) -> datetime:
    if isinstance(value, str):  # SQLite
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)



def _family(row) -> Family:
    return Family(pk=row[0], client_pk=row[1], scope=row[2], auth_time=_py_time(row[3]), session_pk=row[4],
                  revoked=row[5] is not None, account=Party.from_columns(*row[6:15]),
                  acting_for=Party.from_columns(row[15], row[16], row[17], row[18], row[19], None, *row[20:23])
                  if row[15] is not None else None)


def load(pk: int) -> Family | None:
    rows = _rows(_LOAD, [pk])
    return _family(rows[0]) if rows else None


def _refresh_times() -> tuple:
    now = timezone.now()
    return _db_time(now), _db_time(now + timedelta(seconds=settings.IDP_REFRESH_TOKEN_SECONDS))


def open_family(*, client_pk: int, account_pk: int, acting_for_pk: int | None, session_pk: int | None, scope: str,
                auth_time: datetime, refresh_digest: str) -> Family:
    """A new Authorization (a code was exchanged) with its first refresh token."""
    created, expires = _refresh_times()
    family = [client_pk, account_pk, acting_for_pk, session_pk, scope, _db_time(auth_time), created]
    if connection.vendor == "postgresql":
        return _family(_rows(_OPEN_PG, [*family, refresh_digest, created, expires])[0])
    with transaction.atomic():
        pk = _rows(_CREATE, family)[0][0]
        _rows(_ADD_REFRESH, [refresh_digest, pk, created, expires], fetch=False)
        return load(pk)


def rotate(*, spent_digest: str, successor_digest: str, client_pk: int) -> Family | None:
    """Spend a refresh token and store its successor; the family, or None if the token was
    not spendable (unknown, used, expired, revoked family, another client's)."""
    now, expires = _refresh_times()
    spend = [now, spent_digest, now, client_pk]
    if connection.vendor == "postgresql":
        rows = _rows(_ROTATE_PG, [*spend, successor_digest, now, expires])
        return _family(rows[0]) if rows else None
    with transaction.atomic():
        rows = _rows(_SPEND, spend)
        if not rows:
            return None
        _rows(_ADD_REFRESH, [successor_digest, rows[0][0], now, expires], fetch=False)
        return load(rows[0][0])
