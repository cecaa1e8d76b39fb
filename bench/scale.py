"""make bench-scale: the token and login paths with a full database, against an empty one.

Runs bench/sso.py's refresh, code-exchange and login scenarios on an empty database, then fills
it with 1,000,000 accounts, 5,000,000 Authorizations and 10,000,000 refresh tokens (half of them
spent, as rotation leaves them) in PostgreSQL directly, and runs the same scenarios again.
Prints both figures and their ratio (target: ≥ 0.8 for refresh and code exchange, login unchanged
within noise). Filling takes a few minutes; BENCH_SCALE_TOKENS sets the refresh-token count.
"""

import os
import time

import sso

ACCOUNTS = int(os.environ.get("BENCH_SCALE_ACCOUNTS", "1000000"))
TOKENS = int(os.environ.get("BENCH_SCALE_TOKENS", "10000000"))
SCENARIOS = ["refresh (rotation)", "authorization-code exchange", "password login → code"]


def fill(template_password: str, client_pk: int) -> None:
    from django.db import connection

    families = TOKENS // 2
    steps = [
        ("accounts", """INSERT INTO accounts_account (password, is_superuser, login_name, kind, phone, email,
                realname_status, realname_reason, is_active, is_staff, date_joined)
            SELECT %s, false, 'scale' || i, 'natural', '14' || lpad(i::text, 9, '0'), '', 'registry_passed', '',
                   true, false, now() FROM generate_series(1, %s) i""", [template_password, ACCOUNTS]),
        ("people", """INSERT INTO accounts_naturalperson (account_id, name, gender, ethnicity, title, telephone,
                address, identity_type, id_type, id_number, id_index, id_long_term)
            SELECT id, '规模用户' || id, '', '', '', '', '', 'mainland', 'resident_id', '', md5(id::text), false
            FROM accounts_account WHERE login_name LIKE 'scale%%'""", []),
        ("authorizations", """INSERT INTO oidc_authorization (scope, auth_time, created_at, revoke_reason, account_id,
                client_id)
            SELECT 'openid profile', now(), now(), '', a.first + (i %% %s), %s
            FROM generate_series(1, %s) i,
                 (SELECT min(id) AS first FROM accounts_account WHERE login_name LIKE 'scale%%') a""",
         [ACCOUNTS, client_pk, families]),
        ("refresh tokens", """INSERT INTO oidc_refreshtoken (digest, created_at, expires_at, used_at, authorization_id)
            SELECT md5(i::text || 'a') || md5(i::text || 'b'), now(), now() + interval '30 days',
                   CASE WHEN i %% 2 = 0 THEN now() END, f.first + (i / 2) %% %s
            FROM generate_series(1, %s) i,
                 (SELECT max(id) - %s + 1 AS first FROM oidc_authorization) f""", [families, TOKENS, families]),
    ]
    with connection.cursor() as cursor:
        for name, sql, params in steps:
            started = time.monotonic()
            cursor.execute(sql, params)
            print(f"  {name}: {cursor.rowcount:,} rows in {time.monotonic() - started:.0f} s", flush=True)
        cursor.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps in production


def main() -> None:
    sso.need("wrk")
    sso.need("taskset")
    sso.ONLY = set(SCENARIOS)
    sso.fresh_database()
    sso.setup_django()
    data = sso.fixtures()
    print("empty database …", flush=True)
    empty = {r["name"]: r for r in sso.measure(data) if r}
    from idp.sso import clients

    print(f"filling: {ACCOUNTS:,} accounts, {TOKENS // 2:,} authorizations, {TOKENS:,} refresh tokens …", flush=True)
    fill(data["accounts"][0].password, clients.by_client_id("bench").pk)
    print("full database …", flush=True)
    full = {r["name"]: r for r in sso.measure(data) if r}
    print(f"\n{'scenario':30} {'empty req/s':>12} {'full req/s':>11} {'full/empty':>11}")
    for name in SCENARIOS:
        a, b = empty.get(name), full.get(name)
        if a and b:
            print(f"{name:30} {a['rps']:12.0f} {b['rps']:11.0f} {b['rps'] / a['rps']:11.2f}"
                  + ("" if not (a["failures"] + b["failures"] + a["non2xx"] + b["non2xx"]) else "  (failures!)"))


if __name__ == "__main__":
    main()
