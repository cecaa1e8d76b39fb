"""make bench-scale: the hot paths at 1 million accounts, then at 10 million.

Fills a fresh PostgreSQL database, directly in SQL, to the first level of BENCH_SCALE_LEVELS
(default 1,000,000 then 10,000,000 accounts), measures, fills on to the next level, measures again,
and prints the figures side by side with their ratio to the first level (target: within 1.2×,
i.e. a ratio ≥ 0.83). Per account the fill writes what a year of use leaves: a natural person,
a legacy-migration record, an audit entry and 2.5 Authorizations holding 5 refresh tokens (half
spent, as rotation leaves them) — at 10 M that is 50 M refresh tokens.

  refresh (rotation), introspection,       bench/sso.py's wrk scenarios against one granian worker
  password login → code                    on one core (the same harness as `make bench`)
  账号检索                                  POST /api/migration/lookup for random accounts' mobiles
  console audit search                      a reviewer's search of the audit log by login name
                                           (both in process through Django's full request stack)

After each level it prints the query plans of one request of every scenario (EXPLAIN of each
statement the request ran), so that what reads an index and what does not is visible, and the
disk the database uses. Filling 10 M takes most of an hour on this 2-core machine.
"""

import json
import os
import random
import re
import time

import sso

LEVELS = [int(n) for n in os.environ.get("BENCH_SCALE_LEVELS", "1000000,10000000").split(",")]
TOKENS_PER_ACCOUNT = 5
WRK_SCENARIOS = ["refresh (rotation)", "introspection", "password login → code"]
IN_PROCESS_REQUESTS = int(os.environ.get("BENCH_SCALE_REQUESTS", "400"))


def fill(low: int, high: int, template_password: str, client_pk: int) -> None:
    """Accounts scale<low+1> … scale<high> with everything that hangs off them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM accounts_account")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT coalesce(max(id), 0) FROM oidc_authorization")
        (auth_before,) = cursor.fetchone()
    count, families = high - low, (high - low) * TOKENS_PER_ACCOUNT // 2
    steps = [
        ("accounts", """INSERT INTO accounts_account (password, is_superuser, login_name, kind, phone, email,
                realname_status, realname_reason, is_active, is_staff, date_joined, language, admin_role,
                password_changed_at)
            SELECT %s, false, 'scale' || i, 'natural', '14' || lpad(i::text, 9, '0'), '', 'registry_passed', '',
                   true, false, now() - (i %% 1000) * interval '8 hours', 'zh-hans', '', now()
            FROM generate_series(%s, %s) i""",
         [template_password, low + 1, high]),
        ("people", """INSERT INTO accounts_naturalperson (account_id, name, gender, ethnicity, title, telephone,
                address, identity_type, id_type, id_number, id_index, id_long_term)
            SELECT id, '规模用户' || id, '', '', '', '', '', 'mainland', 'resident_id', '', md5(id::text), false
            FROM accounts_account WHERE id > %s""", [before]),
        ("legacy records", """INSERT INTO legacy_migration_legacyaccount (kind, legacy_id, key, "case", login_name,
                account_type, password, account_id, note, line)
            SELECT 'person', 'P' || id, phone, 'R1', login_name, 'natural', 'unchanged', id, '', 0
            FROM accounts_account WHERE id > %s""", [before]),
        ("audit entries", """INSERT INTO audit_auditentry (at, event, account_id, login_name, ip, detail, account_ref,
                chain_seq, tag)
            SELECT now() - (id %% 4320) * interval '1 hour', 'login.success', id, login_name, '127.0.0.1', '{}', id,
                   id, ''
            FROM accounts_account WHERE id > %s""", [before]),
        ("authorizations", """INSERT INTO oidc_authorization (scope, auth_time, created_at, revoke_reason, account_id,
                client_id)
            SELECT 'openid profile', now(), now(), '', %s + 1 + (i %% %s), %s FROM generate_series(1, %s) i""",
         [before, count, client_pk, families]),
        ("refresh tokens", """INSERT INTO oidc_refreshtoken (digest, created_at, expires_at, used_at, authorization_id)
            SELECT md5(i::text || 'a') || md5(i::text || 'b'), now(), now() + interval '30 days',
                   CASE WHEN i %% 2 = 0 THEN now() END, %s + 1 + (i - %s - 1) / 2
            FROM generate_series(%s, %s) i""",
         [auth_before, low * TOKENS_PER_ACCOUNT, low * TOKENS_PER_ACCOUNT + 1, high * TOKENS_PER_ACCOUNT]),
    ]
    with connection.cursor() as cursor:
        for name, sql, params in steps:
            started = time.monotonic()
            cursor.execute(sql, params)
            print(f"  {name}: {cursor.rowcount:,} rows in {time.monotonic() - started:.0f} s", flush=True)
        started = time.monotonic()
        cursor.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps in production
        cursor.execute("CHECKPOINT")  # the fill's writes flushed now, not during the measurements
        print(f"  VACUUM ANALYZE and CHECKPOINT in {time.monotonic() - started:.0f} s", flush=True)


# --- the in-process scenarios: one function per request, given a random existing account number ---

def lookup_request(clients: dict):
    keys = iter(sso.captcha_keys(IN_PROCESS_REQUESTS + 30))

    def ask(n: int):
        body = {"kind": "person", "mobile": f"14{n:09d}", "captcha_0": next(keys), "captcha_1": "PASSED"}
        response = clients["public"].post("/api/migration/lookup", json.dumps(body), content_type="application/json")
        assert response.status_code == 200 and response.json()["login_name"] == f"scale{n}", response.content
    return ask


def audit_search_request(clients: dict):
    def search(n: int):
        response = clients["reviewer"].get("/console/audit/", {"account": f"SCALE{n}"})  # any case, as typed
        assert response.status_code == 200 and f"scale{n}" in response.content.decode(), response.status_code
    return search


def in_process_clients() -> dict:
    from django.test import Client

    from idp.accounts.models import Account, AccountKind
    from tests.factories import sign_in

    reviewer, _ = Account.objects.get_or_create(login_name="scale_reviewer", kind=AccountKind.NATURAL,
                                                defaults={"is_staff": True})
    clients = {"public": Client(SERVER_NAME="127.0.0.1"), "reviewer": Client(SERVER_NAME="127.0.0.1")}
    sign_in(clients["reviewer"], reviewer)
    return clients


def measure_in_process(level: int) -> list[dict]:
    from django.test import override_settings

    results = []
    with override_settings(IDP_MIGRATION_LOOKUPS_PER_MINUTE=10 ** 9):
        clients = in_process_clients()
        for name, make in (("账号检索", lookup_request), ("console audit search", audit_search_request)):
            request = make(clients)
            for n in random.sample(range(1, level + 1), 20):  # warm-up
                request(n)
            timings = []
            for n in random.sample(range(1, level + 1), IN_PROCESS_REQUESTS):
                started = time.perf_counter()
                request(n)
                timings.append(time.perf_counter() - started)
            timings.sort()
            results.append({"name": name, "rps": len(timings) / sum(timings),
                            "p50": timings[len(timings) // 2] * 1000, "p99": timings[len(timings) * 99 // 100] * 1000,
                            "failures": 0, "non2xx": 0})
    return results


# --- plans ---

def plans(level: int, client_pk: int) -> None:
    """EXPLAIN of every statement one request of each scenario runs, reduced to its scans."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from idp.oidc import families

    n = random.randint(1, level)
    clients = in_process_clients()
    authorize = "/oidc/authorize?" + sso.urllib.parse.urlencode({
        "response_type": "code", "client_id": "bench", "redirect_uri": sso.REDIRECT, "scope": "openid profile",
        "state": "s", "nonce": "n", "code_challenge": "c" * 43, "code_challenge_method": "S256"})
    login_client = Client(SERVER_NAME="127.0.0.1")
    requests = {
        "password login → code": lambda: (login_client.get(authorize), login_client.post("/login/", {
            "kind": "natural", "login_name": f"scale{n}", "password": sso.PASSWORD, "captcha_0": sso.captcha_keys(1)[0],
            "captcha_1": "PASSED", "next": authorize}), login_client.get(authorize)),
        "账号检索": lambda: lookup_request(clients)(n),
        "console audit search": lambda: audit_search_request(clients)(n),
    }
    print(f"\nQuery plans at {level:,} accounts (one request each; Seq Scan on a large table would be a defect):")
    with override_settings(IDP_MIGRATION_LOOKUPS_PER_MINUTE=10 ** 9):
        # The refresh grant's one statement runs on its own prepared cursor (oidc/families.py), unseen below.
        now = timezone.now()
        print(f"  refresh (rotation):\n    {'the rotation statement':32} "
              + "; ".join(explain(families._ROTATE_PG, [now, "x" * 64, now, client_pk, "y" * 64, now, now])))
        for name, request in requests.items():
            with CaptureQueriesContext(connection) as captured:
                request()
            print(f"  {name}:")
            for query in captured.captured_queries:
                sql = query["sql"]
                if re.match(r"\s*(SELECT|UPDATE|DELETE|WITH)", sql, re.I):
                    tables = re.findall(r'FROM "(\w+)"', sql)
                    print(f"    {(tables[0] if tables else sql[:40]):32} {'; '.join(explain(sql)) or '-'}")


def explain(sql: str, params=None) -> list[str]:
    """The statement's scans: which table, and through which index if any. (A cursor of its own: the
    request before it may have closed the connection, as Django does at a request's end.)"""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = cursor.fetchall()
    pattern = (r"((?:Parallel )?(?:Seq|Index|Index Only|Bitmap Heap|Bitmap Index) Scan(?: Backward)?"
               r"(?: using \S+)?(?: on \S+)?)")
    return sorted({m.group(1) for (line,) in plan if (m := re.search(pattern, line))})


def database_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return cursor.fetchone()[0]


def main() -> None:
    sso.need("wrk")
    sso.need("taskset")
    sso.ONLY = set(WRK_SCENARIOS)
    sso.fresh_database()
    sso.setup_django()
    data = sso.fixtures()
    from idp.sso import clients

    client_pk, figures, filled = clients.by_client_id("bench").pk, {}, 0
    for level in LEVELS:
        print(f"filling to {level:,} accounts ({level * TOKENS_PER_ACCOUNT:,} refresh tokens) …", flush=True)
        started = time.monotonic()
        fill(filled, level, data["accounts"][0].password, client_pk)
        filled = level
        print(f"  filled in {(time.monotonic() - started) / 60:.1f} min; the database uses {database_size()}",
              flush=True)
        results = [r for r in sso.measure(data) if r] + measure_in_process(level)
        figures[level] = {r["name"]: r for r in results}
        for r in results:
            print(f"  {r['name']:30} {r['rps']:9.0f}/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms", flush=True)
        plans(level, client_pk)
    first = LEVELS[0]
    print(f"\n{'scenario':30}" + "".join(f"{f'{level:,} req/s':>18}" for level in LEVELS)
          + f"{'p50 ms':>9}" * len(LEVELS) + "  ratio to the first level (target ≥ 0.83, i.e. within 1.2×)")
    for name in WRK_SCENARIOS + ["账号检索", "console audit search"]:
        rows = [figures[level].get(name) for level in LEVELS]
        if not all(rows):
            continue
        bad = sum(r["failures"] + r["non2xx"] for r in rows)
        print(f"{name:30}" + "".join(f"{r['rps']:18.0f}" for r in rows) + "".join(f"{r['p50']:9.2f}" for r in rows)
              + "  " + " ".join(f"{r['rps'] / figures[first][name]['rps']:.2f}" for r in rows[1:])
              + ("  (failures!)" if bad else ""))


if __name__ == "__main__":
    main()
