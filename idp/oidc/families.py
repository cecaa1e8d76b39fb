"""Token families — an Authorization and the refresh tokens rotated from it — in plain SQL.

The refresh grant, the code exchange and userinfo run these few fixed statements instead of
ORM queries: building the ORM queries cost several times more than the database work, and
on PostgreSQL the statements are prepared once per connection, so they are not planned again
(make bench, docs/benchmarks.md). The models in models.py still own the schema; this module
only reads and writes their rows.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg.rows import dict_row

from idp.accounts.models import Account, NaturalPerson, Organisation
from idp.oidc.models import Authorization, RefreshToken
from idp.sso.claims import Party

_A, _R = Authorization._meta.db_table, RefreshToken._meta.db_table
_ACC, _P, _O = Account._meta.db_table, NaturalPerson._meta.db_table, Organisation._meta.db_table

# Every column is read by its name (the rows come as dicts): the family, the account it was issued
# to, and the organisation that account acts for (all NULL when it acts for itself).
_COLUMNS = """a.id AS family, a.client_id AS client, a.scope, a.auth_time, a.session_id AS session, a.revoked_at,
       u.id AS account, u.kind AS account_kind, u.is_active AS account_active,
       u.realname_status AS account_status, u.login_name AS account_login_name, up.name AS account_person_name,
       uo.name AS account_org_name, uo.uscc AS account_uscc, uo.legal_type AS account_legal_type,
       f.id AS acting_for, f.kind AS acting_for_kind, f.is_active AS acting_for_active,
       f.realname_status AS acting_for_status, f.login_name AS acting_for_login_name,
       fo.name AS acting_for_org_name, fo.uscc AS acting_for_uscc, fo.legal_type AS acting_for_legal_type"""
_JOINS = f"""JOIN {_ACC} u ON u.id = a.account_id
LEFT JOIN {_P} up ON up.account_id = u.id
LEFT JOIN {_O} uo ON uo.account_id = u.id
LEFT JOIN {_ACC} f ON f.id = a.acting_for_id
LEFT JOIN {_O} fo ON fo.account_id = f.id"""

_LOAD = f"SELECT {_COLUMNS} FROM {_A} a {_JOINS} WHERE a.id = %s"

# Spends a refresh token of this client's live family, once (compare-and-set on used_at). The family is
# checked by a subquery per token found, so the token is always found first, by its digest: the table is
# partitioned by month on PostgreSQL (core/partitions.py), the digest is unique only with the month, and a
# generic plan that joined the families first read every family of the client (5 refreshes/s in make bench).
_SPEND = f"""UPDATE {_R} SET used_at = %s
WHERE digest = %s AND used_at IS NULL AND expires_at > %s
  AND (SELECT client_id = %s AND revoked_at IS NULL FROM {_A} WHERE id = {_R}.authorization_id)
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


def _rows(sql: str, params: list, *, fetch: bool = True) -> list[dict]:
    """The statement's rows, each a dict of its columns by name."""
    connection.close_if_health_check_failed()  # CONN_HEALTH_CHECKS, as Django's own cursors do
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        # Django's wrapper turns psycopg's errors into its own and marks the connection, so that a
        # connection broken by a database restart is closed and replaced at the request's end.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection, row_factory=dict_row) as cursor:
            cursor.execute(sql, params, prepare=True, binary=True)  # prepared once; binary rows parse faster
            return cursor.fetchall() if fetch else []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not fetch:
            return []
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _py_time(value) -> datetime:
    if isinstance(value, str):  # SQLite
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)



def _family(row) -> Family:
    account = Party.from_columns(
        pk=row["account"], kind=row["account_kind"], is_active=row["account_active"],
        realname_status=row["account_status"], login_name=row["account_login_name"],
        person_name=row["account_person_name"], org_name=row["account_org_name"], uscc=row["account_uscc"],
        legal_type=row["account_legal_type"])
    acting_for = None if row["acting_for"] is None else Party.from_columns(
        pk=row["acting_for"], kind=row["acting_for_kind"], is_active=row["acting_for_active"],
        realname_status=row["acting_for_status"], login_name=row["acting_for_login_name"], person_name=None,
        org_name=row["acting_for_org_name"], uscc=row["acting_for_uscc"], legal_type=row["acting_for_legal_type"])
    return Family(pk=row["family"], client_pk=row["client"], scope=row["scope"], auth_time=_py_time(row["auth_time"]),
                  session_pk=row["session"], revoked=row["revoked_at"] is not None, account=account,
                  acting_for=acting_for)


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
        pk = _rows(_CREATE, family)[0]["id"]
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
        _rows(_ADD_REFRESH, [successor_digest, rows[0]["authorization_id"], now, expires], fetch=False)
        return load(rows[0]["authorization_id"])


def replay(*, spent_digest: str, successor_digest: str, client_pk: int, grace_seconds: int) -> Family | None:
    """A refresh token spent less than `grace_seconds` ago whose answer was lost (tokens.rotation_answer),
    presented again while the successor it was rotated into is still unused: the client never received
    that successor and retries. The unused successor is spent in its place and a new one issued, so the
    chain goes on unforked. None when this is not such a retry."""
    now = timezone.now()
    spent = (RefreshToken.objects.filter(digest=spent_digest, used_at__gt=now - timedelta(seconds=grace_seconds),
                                         authorization__client_id=client_pk,
                                         authorization__revoked_at__isnull=True)
             .values_list("authorization_id", "used_at").first())
    if spent is None:
        return None
    family_pk, spent_at = spent
    # The new successor is dated after the moment the missed one is spent: a token a replay spent has
    # no successor dated at its spending, so it can never be replayed itself — presenting it is reuse.
    created = now + timedelta(microseconds=1)
    expires = created + timedelta(seconds=settings.IDP_REFRESH_TOKEN_SECONDS)
    with transaction.atomic():
        missed = RefreshToken.objects.filter(authorization_id=family_pk, created_at=spent_at, used_at__isnull=True,
                                             expires_at__gt=now).update(used_at=now)
        if missed != 1:  # the chain went on: the successor was used
            return None
        _rows(_ADD_REFRESH, [successor_digest, family_pk, _db_time(created), _db_time(expires)], fetch=False)
    return load(family_pk)
