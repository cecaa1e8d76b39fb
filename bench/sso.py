"""make bench: single sign-on throughput on one core.

The platform runs as ONE granian WSGI worker process (4 threads, so that one request's
database or Redis wait overlaps another's Python work) pinned to core 0 (taskset), on
PostgreSQL + Redis; wrk drives it from core 1 (PostgreSQL and Redis are pinned to core 1 for
the run and given both cores back afterwards). Each scenario runs BENCH_SECONDS (default 10)
with 2 threads × 16 connections, and prints requests/s, p50 and p99:

  discovery, JWKS                          GET, static documents
  client_credentials                       POST /oidc/token, client_secret_basic
  client_credentials (SM2)                 the same for a system registered --signing-alg SM2 (国密)
  refresh (rotation)                       POST /oidc/token, each request spends a fresh refresh token
  authorization-code exchange              POST /oidc/token, each request spends a fresh code (+PKCE)
  authorization-code exchange (SM2)        the same, ID and access token signed SM2
  introspection                            POST /oidc/introspect over 2,000 different access tokens
  userinfo                                 GET /oidc/userinfo over 2,000 different access tokens
  CAS serviceValidate                      GET, each request spends a fresh service ticket
  password login → authorization code      POST /login/ (argon2id) with next = the authorization
                                           request, answered with the code (8 connections, one per wrk
                                           thread; logins/s), against the argon2id ceiling
  password login → SAML response           GET /saml/sso (a Redirect-bound AuthnRequest), POST /login/,
                                           then the signed, encrypted Response (the same connections;
                                           logins/s), compared with the OIDC login
  passkey login                            POST /login/passkey/ with a synced passkey's signed answer
                                           (ES256, counter 0) to a challenge kept in a fresh session:
                                           ceremonies prepared before the run as the options request
                                           leaves them (that request is rate-limited per address)
  federation login                         GET /federation/nation/callback with the code of the national
                                           platform (node's oidc-provider, on core 1 with the stores):
                                           the code exchanged and the ID token checked there, userinfo,
                                           the linked account signed in; the browser's steps at the
                                           upstream are taken before the run

Single-use credentials (codes, tickets, refresh tokens) are created before each run in the
platform's own formats; tickets and codes get a longer lifetime than in production only so
that a pool made before the run survives it. The login scenario uses IDP_CAPTCHA=fixed:…
(the test hook) so that wrk can answer the captcha; everything else is the production path.
"""

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("IDP_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH = os.environ.get("IDP_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/idp_bench_sso")
REDIS = os.environ.get("IDP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PORT = int(os.environ.get("IDP_BENCH_PORT", "8181"))
BASE = f"http://127.0.0.1:{PORT}"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
# IDP_BENCH_WORKERS=2 IDP_BENCH_SERVER_CPUS=0-1: how throughput grows with a second worker (wrk then shares core 1)
WORKERS, SERVER_CPUS = os.environ.get("IDP_BENCH_WORKERS", "1"), os.environ.get("IDP_BENCH_SERVER_CPUS", "0")
LOGIN_CONNECTIONS = int(os.environ.get("BENCH_LOGIN_CONNECTIONS", "8"))  # enough to keep the core busy while some wait
REDIRECT = "https://bench.example.test/callback"
SERVICE = "https://bench.example.test/cas/"
SAML_SP = "https://bench.example.test/saml"
PASSWORD = "Bench@2026pw"
VERIFIER = "b" * 64
TARGETS = {"discovery": 5000, "JWKS": 5000, "client_credentials": 1500, "refresh (rotation)": 800,
           "introspection": 2500, "CAS serviceValidate": 2500, "password login → code": 40}

os.environ.update({
    "DJANGO_SETTINGS_MODULE": "config.settings.base", "IDP_DATABASE_URL": PG_BENCH, "IDP_REDIS_URL": REDIS,
    "IDP_ISSUER": BASE, "IDP_CAPTCHA": "fixed:PASSED", "IDP_ALLOW_TEST_HOOKS": "1",
})


def need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        package = "wrk" if tool == "wrk" else "util-linux"
        raise SystemExit(f"make bench needs `{tool}` (Debian: apt-get install -y {package})")
    return path


def fresh_database() -> None:
    import psycopg

    name = urllib.parse.urlparse(PG_BENCH).path.lstrip("/")  # the URL may carry options (?pool=…)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.core.cache import cache

    cache.clear()  # flushes the bench Redis database


# --- fixtures ---

def fixtures() -> dict:
    from idp.accounts.models import Account, AccountKind, NaturalPerson
    from idp.sso import clients, keys

    keys.ensure_keys()
    oidc = clients.register(name="压测 OIDC", protocol="oidc", code="bench", redirect_uris=[REDIRECT],
                            requires_realname=False)
    sm2 = clients.register(name="压测 国密", protocol="oidc", code="bench-sm2", redirect_uris=[REDIRECT],
                           requires_realname=False, id_token_alg="SM2")
    clients.register(name="压测 CAS", protocol="cas", code="bench-cas", service_pattern=SERVICE,
                     requires_realname=False)
    clients.register(name="压测 SAML", protocol="saml", code="bench-saml", requires_realname=False,
                     protocol_options={"metadata": saml_metadata()})
    template = Account(login_name="template", kind=AccountKind.NATURAL)
    template.set_password(PASSWORD)
    accounts = Account.objects.bulk_create(
        [Account(login_name=f"bench{i:03d}", kind=AccountKind.NATURAL, password=template.password,
                 phone=f"1390000{i:04d}") for i in range(100)])
    NaturalPerson.objects.bulk_create([NaturalPerson(account=a, name=f"压测用户{a.pk}") for a in accounts])
    authenticators = passkeys(accounts)
    federated = federation_links(accounts)
    basic = base64.b64encode(f"bench:{oidc.secret}".encode()).decode()
    basic_sm2 = base64.b64encode(f"bench-sm2:{sm2.secret}".encode()).decode()
    return {"basic": basic, "basic_sm2": basic_sm2, "accounts": accounts, "authenticators": authenticators,
            "federated": federated}


def passkeys(accounts) -> list:
    """One synced passkey per account (its counter stays 0, so answers may arrive in any order)."""
    from idp.accounts.models import Passkey
    from tests.accounts.authenticator import Authenticator

    keys = [Authenticator(counting=False) for _ in accounts]
    Passkey.objects.bulk_create([Passkey(account=a, name="压测", credential_id=k.credential_id,
                                         public_key=k.cose_key()) for a, k in zip(accounts, keys, strict=True)])
    for account, key in zip(accounts, keys, strict=True):
        key.user_handle = str(account.pk).encode()
    return keys


def start_upstream():
    """node's oidc-provider as the national platform (tests/federation/upstream.py), registered
    here as `nation`; None when node or its modules are missing (the scenario is then left out)."""
    from tests.federation import upstream

    if shutil.which("node") is None or not (upstream.HERE / "node_modules" / "oidc-provider").exists():
        print("federation login left out: node's oidc-provider is missing (cd tests/interop/upstream && npm ci)")
        return None
    server = upstream.Upstream(Path(tempfile.mkdtemp()), platform=BASE, keep_all=True)
    server.register(kinds="natural")
    pin("server.mjs", os.environ.get("IDP_BENCH_DB_CPUS", "1"))
    return server


def federation_links(accounts) -> bool:
    """Each bench account linked to the upstream person of the same name (if the upstream runs)."""
    from idp.federation.models import FederatedIdentity, IdentityProvider

    provider = IdentityProvider.objects.filter(code="nation").first()
    if provider:
        FederatedIdentity.objects.bulk_create([FederatedIdentity(provider=provider, subject=a.login_name, account=a,
                                                                 how="bench") for a in accounts])
    return provider is not None


def federation_ceremonies(accounts, n) -> list[str]:
    """n sign-ins begun here and finished at the upstream, up to the browser's return:
    "<session key> <callback path>"."""
    import requests

    from tests.federation.upstream import through_upstream

    lines = []
    for i in range(n):
        browser = requests.Session()
        start = browser.get(f"{BASE}/federation/nation/login?kind=natural", allow_redirects=False, timeout=10)
        callback, _ = through_upstream(start.headers["Location"], accounts[i % len(accounts)].login_name,
                                       browser=browser)
        parts = urllib.parse.urlsplit(callback)
        lines.append(f"{browser.cookies['sessionid']} {parts.path}?{parts.query}")
    return lines


def saml_metadata() -> bytes:
    """A service provider as mellon describes itself: one key for signing and encryption, so
    each response is signed twice and its assertion encrypted (the dearest answer)."""
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.example.test")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC)).sign(key, hashes.SHA256()))
    body = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    keys = "".join(f'<md:KeyDescriptor use="{use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}'
                   '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
                   for use in ("signing", "encryption"))
    return (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{SAML_SP}"><md:SPSSODescriptor '
            f'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{keys}'
            f'<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            f'Location="{SAML_SP}/acs" index="0"/></md:SPSSODescriptor></md:EntityDescriptor>').encode()


def saml_sso_path() -> str:
    """/saml/sso with an AuthnRequest issued now (valid for the run), Redirect binding."""
    import zlib
    from datetime import UTC, datetime

    issued = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    request = (f'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
               f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_bench" Version="2.0" '
               f'IssueInstant="{issued}" Destination="{BASE}/saml/sso" AssertionConsumerServiceURL="{SAML_SP}/acs">'
               f'<saml:Issuer>{SAML_SP}</saml:Issuer></samlp:AuthnRequest>').encode()
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = base64.b64encode(compressor.compress(request) + compressor.flush()).decode()
    return "/saml/sso?" + urllib.parse.urlencode({"SAMLRequest": deflated})


def access_tokens(accounts, n=2000) -> list[str]:
    """Access tokens of signed-in users (with an Authorization), as the code flow issues them."""
    from django.utils import timezone

    from idp.oidc import tokens
    from idp.oidc.models import Authorization
    from idp.sso import claims, clients

    client = clients.by_client_id("bench")
    auths = Authorization.objects.bulk_create([
        Authorization(client=client, account=accounts[i % len(accounts)], scope="openid profile",
                      auth_time=timezone.now()) for i in range(n)])
    identity = {a.account_id: claims.identity_claims(a.account) for a in auths[:len(accounts)]}
    return [tokens.issue_access_token(client_id="bench", scope="openid profile", subject=identity[a.account_id]["sub"],
                                      identity=identity[a.account_id], gid=a.pk)[0] for a in auths]


def refresh_tokens(accounts, n) -> list[str]:
    from datetime import timedelta

    from django.utils import timezone

    from idp.oidc.models import Authorization, RefreshToken
    from idp.oidc.tokens import digest
    from idp.sso import clients

    client = clients.by_client_id("bench")
    auths = Authorization.objects.bulk_create([
        Authorization(client=client, account=accounts[i % len(accounts)], scope="openid profile",
                      auth_time=timezone.now()) for i in range(n)])
    raw = [secrets.token_urlsafe(32) for _ in range(n)]
    expires = timezone.now() + timedelta(hours=1)
    RefreshToken.objects.bulk_create([RefreshToken(digest=digest(t), authorization=a, expires_at=expires)
                                      for t, a in zip(raw, auths, strict=True)], batch_size=5000)
    return raw


def _pipeline_put(items: list[tuple[str, dict]], ttl: int) -> None:
    from idp.sso import store

    pipe = store.redis_client().pipeline(transaction=False)
    for key, value in items:
        pipe.set("idp:sso:" + key, json.dumps(value, separators=(",", ":")), ex=ttl)
    pipe.execute()


def codes(accounts, n, client_id="bench") -> list[str]:
    from idp.oidc.tokens import digest

    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    raw = [secrets.token_urlsafe(36) for _ in range(n)]
    now = int(time.time())
    _pipeline_put([("code:" + digest(c), {
        "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid profile", "nonce": "n",
        "code_challenge": challenge, "code_challenge_method": "S256", "account": accounts[i % len(accounts)].pk,
        "acting_for": None, "sid": None, "auth_time": now}) for i, c in enumerate(raw)], ttl=300)
    return raw


def service_tickets(accounts, n) -> list[str]:
    from idp.cas.tickets import new_ticket
    from idp.sso import claims, clients

    client = clients.for_service(SERVICE)
    identities = [claims.identity_claims(a) for a in accounts]
    raw = [new_ticket("ST") for _ in range(n)]
    now = int(time.time())
    _pipeline_put([("cas:" + t, {
        "service": SERVICE, "client": client.pk, "sid": "bench", "user": identities[i % len(accounts)]["sub"],
        "attributes": claims.cas_attributes(identities[i % len(accounts)]), "renewed": False, "proxies": [],
        "auth_time": now}) for i, t in enumerate(raw)], ttl=300)
    return raw


def captcha_keys(n) -> list[str]:
    from datetime import timedelta

    from captcha.models import CaptchaStore
    from django.utils import timezone

    expires = timezone.now() + timedelta(minutes=30)
    rows = [CaptchaStore(challenge="BENCH", response="passed", hashkey=secrets.token_hex(20), expiration=expires)
            for _ in range(n)]
    CaptchaStore.objects.bulk_create(rows)
    return [r.hashkey for r in rows]


def passkey_ceremonies(authenticators, n) -> list[str]:
    """n sessions holding a login challenge, as POST /login/passkey/options leaves them, each with
    an authenticator's answer: "<session key> <JSON body>"."""
    from importlib import import_module

    from django.conf import settings

    from idp.accounts import passkeys as ceremony

    store = import_module(settings.SESSION_ENGINE).SessionStore
    rp, origin = ceremony.rp_id(), ceremony.origin()
    lines = []
    for i in range(n):
        challenge = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        session = store()
        session[ceremony.CHALLENGE_KEY] = {"purpose": "login", "challenge": challenge, "account": None}
        session.create()
        answer = authenticators[i % len(authenticators)].get({"challenge": challenge, "rpId": rp}, origin)
        lines.append(f"{session.session_key} {json.dumps({'credential': answer}, separators=(',', ':'))}")
    return lines


# --- wrk ---

LUA_POOL = r"""
-- Each thread walks its own share of the pool (args[1] = file, args[2] = "wrap" or "once",
-- args[3] = the number of threads).
local pool, i, wrap = {}, 0, true
local threads, counter = {}, 0
function setup(thread) thread:set("id", counter); counter = counter + 1; table.insert(threads, thread) end
function init(args)
  local n, threads = 0, tonumber(args[3])
  for line in io.lines(args[1]) do
    if n % threads == id then pool[#pool + 1] = line end
    n = n + 1
  end
  wrap = args[2] == "wrap"
  failures, exhausted = 0, 0
end
function next_item()
  i = i + 1
  if i > #pool then
    if wrap then i = 1 else exhausted = exhausted + 1; i = #pool end
  end
  return pool[i]
end
function response(status, headers, body)
  if status ~= EXPECT_STATUS or (EXPECT_TEXT ~= "" and not string.find(body, EXPECT_TEXT, 1, true)) then
    failures = failures + 1
  end
end
function done(summary, latency, requests)
  local f, e = 0, 0
  for _, t in ipairs(threads) do f = f + t:get("failures"); e = e + t:get("exhausted") end
  io.write(string.format("FAILURES %d EXHAUSTED %d\n", f, e))
end
"""


def lua(expect_status: int, expect_text: str, request_fn: str) -> str:
    head = f"EXPECT_STATUS = {expect_status}\nEXPECT_TEXT = {json.dumps(expect_text)}\n"
    return head + LUA_POOL + request_fn


# Logins, not requests, per second: a login is one request or two (the POST answered by the
# business system's redirect, or sent on through authorize), three with SAML.
LOGINS_DONE = """
function done(summary, latency, requests)
  local f, e, l = 0, 0, 0
  for _, t in ipairs(threads) do f = f + t:get("failures"); e = e + t:get("exhausted"); l = l + t:get("logins") end
  io.write(string.format("FAILURES %d EXHAUSTED %d\\nLOGINS %d IN %d\\n", f, e, l, summary.duration))
end
"""


def login_lua(csrf_cookie: str, csrf_token: str, authorize_path: str) -> str:
    return lua(302, "", "") + f"""
local step, cookie = "login", ""
logins = 0
local function header(headers, name)  -- header names arrive in lower case from granian
  for key, value in pairs(headers) do if string.lower(key) == name then return value end end
end
local accounts = {{}}
for n = 0, 99 do accounts[#accounts + 1] = string.format("bench%03d", n) end
local next_path = {json.dumps(urllib.parse.quote(authorize_path, safe=""))}
function request()
  if step == "login" then
    local key = next_item()
    local name = accounts[(i % #accounts) + 1]
    local body = "csrfmiddlewaretoken={csrf_token}&kind=natural&login_name=" .. name ..
      "&password={urllib.parse.quote(PASSWORD)}&captcha_0=" .. key .. "&captcha_1=PASSED&next=" .. next_path
    return wrk.format("POST", "/login/", {{["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = "csrftoken={csrf_cookie}"}}, body)
  end
  return wrk.format("GET", {json.dumps(authorize_path)}, {{["Cookie"] = cookie}})
end
function response(status, headers, body)
  local coded = status == 302 and string.find(header(headers, "location") or "", "code=", 1, true)
  if step == "login" then
    local sid = string.match(header(headers, "set-cookie") or "", "sessionid=([^;]+)")
    if coded then logins = logins + 1  -- the login answered the authorization request itself
    elseif status == 302 and sid then cookie = "sessionid=" .. sid; step = "authorize"
    else failures = failures + 1 end
  else
    if coded then logins = logins + 1 else failures = failures + 1 end
    step = "login"
  end
end
""" + LOGINS_DONE


def saml_login_lua(csrf_cookie: str, csrf_token: str, sso_path: str) -> str:
    return lua(302, "", "") + f"""
local step, cookie, next_path = "sso", "", ""
logins = 0
local function header(headers, name)
  for key, value in pairs(headers) do if string.lower(key) == name then return value end end
end
local accounts = {{}}
for n = 0, 99 do accounts[#accounts + 1] = string.format("bench%03d", n) end
function request()
  if step == "sso" then return wrk.format("GET", {json.dumps(sso_path)}) end
  if step == "login" then
    local key = next_item()
    local name = accounts[(i % #accounts) + 1]
    local body = "csrfmiddlewaretoken={csrf_token}&kind=natural&login_name=" .. name ..
      "&password={urllib.parse.quote(PASSWORD)}&captcha_0=" .. key .. "&captcha_1=PASSED&next=" ..
      string.gsub(next_path, "/", "%%2F")
    return wrk.format("POST", "/login/", {{["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = "csrftoken={csrf_cookie}; " .. cookie}}, body)
  end
  return wrk.format("GET", next_path, {{["Cookie"] = cookie}})
end
function response(status, headers, body)
  local sid = string.match(header(headers, "set-cookie") or "", "sessionid=([^;]+)")
  if step == "sso" then
    next_path = header(headers, "location") or ""
    if status == 302 and sid and next_path ~= "" then cookie = "sessionid=" .. sid; step = "login"
    else failures = failures + 1 end
  elseif step == "login" then
    if status == 302 and sid then cookie = "sessionid=" .. sid; step = "answer"
    else failures = failures + 1; step = "sso" end
  else
    if status == 200 and string.find(body, "SAMLResponse", 1, true) then logins = logins + 1
    else failures = failures + 1 end
    step = "sso"
  end
end
""" + LOGINS_DONE


ONLY = {n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()}


def run_wrk(name: str, path: str, script: str, args: list[str], *, connections=16, threads=2) -> dict | None:
    if ONLY and name not in ONLY and name != "warm-up":
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    cmd = ["taskset", "-c", "1", "wrk", f"-t{threads}", f"-c{connections}", f"-d{SECONDS}s", "--latency",
           "-s", f.name, BASE + path, "--", *args, *([str(threads)] if args else [])]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    os.unlink(f.name)

    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if logins := re.search(r"LOGINS (\d+) IN (\d+)", out):  # logins per second, not requests
        rps = int(logins.group(1)) / (int(logins.group(2)) / 1e6)
    fail = re.search(r"FAILURES (\d+) EXHAUSTED (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"name": name, "rps": rps, "p50": latency(50), "p99": latency(99),
            "failures": int(fail.group(1)) if fail else 0, "exhausted": int(fail.group(2)) if fail else 0,
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def pool_file(items: list[str]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(items) + "\n")
    return f.name


def post_request(path: str, basic: str, body_lua: str) -> str:
    return f"""
function request()
  return wrk.format("POST", "{path}", {{["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic {basic}"}}, {body_lua})
end
"""


# --- the run ---

def pin(pattern: str, cpus: str) -> None:
    pids = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, pid], capture_output=True)


def start_server() -> subprocess.Popen:
    granian = str(Path(sys.executable).with_name("granian"))
    server = subprocess.Popen(["taskset", "-c", SERVER_CPUS, granian, "--interface", "wsgi", "--workers", WORKERS,
                               "--blocking-threads", os.environ.get("IDP_BENCH_THREADS", "4"),
                               "--host", "127.0.0.1", "--port", str(PORT), "--no-ws", "--log-level", "warning",
                               "config.wsgi:application"], cwd=ROOT, env=os.environ.copy(),
                              stdout=subprocess.DEVNULL)  # its JSON request log: written, as in production, not shown
    return answering(server, BASE, "the platform")


def answering(server: subprocess.Popen, base: str, name: str) -> subprocess.Popen:
    """The server, once its discovery document answers (within 20 s, or it is stopped)."""
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/.well-known/openid-configuration", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"{name} did not start")


def login_form() -> tuple[str, str]:
    with urllib.request.urlopen(BASE + "/login/") as response:
        page = response.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return cookie, token


def measure(data: dict) -> list:
    """Every scenario (or those in ONLY) against a freshly started server; its results."""
    accounts, basic = data["accounts"], data["basic"]
    user_tokens = access_tokens(accounts)
    pin("postgres", os.environ.get("IDP_BENCH_DB_CPUS", "1"))
    pin("redis-server", os.environ.get("IDP_BENCH_DB_CPUS", "1"))
    server = start_server()
    results, files = [], []
    try:
        ok = lua(200, "", "")
        results.append(run_wrk("warm-up", "/.well-known/openid-configuration", ok, []))
        results.pop()
        results.append(run_wrk("discovery", "/.well-known/openid-configuration", ok, []))
        results.append(run_wrk("JWKS", "/oidc/jwks", ok, []))
        results.append(run_wrk("client_credentials", "/oidc/token", lua(200, "access_token", post_request(
            "/oidc/token", basic, '"grant_type=client_credentials"')), []))
        results.append(run_wrk("client_credentials (SM2)", "/oidc/token", lua(200, "access_token", post_request(
            "/oidc/token", data["basic_sm2"], '"grant_type=client_credentials"')), []))

        files.append(pool_file(user_tokens))
        results.append(run_wrk("introspection", "/oidc/introspect", lua(200, '"active":true', post_request(
            "/oidc/introspect", basic, '"token=" .. next_item()')), [files[-1], "wrap"]))
        results.append(run_wrk("userinfo", "/oidc/userinfo", lua(200, '"sub"', """
function request()
  return wrk.format("GET", "/oidc/userinfo", {["Authorization"] = "Bearer " .. next_item()})
end
"""), [files[-1], "wrap"]))

        files.append(pool_file(refresh_tokens(accounts, 30000)))
        results.append(run_wrk("refresh (rotation)", "/oidc/token", lua(200, "refresh_token", post_request(
            "/oidc/token", basic, '"grant_type=refresh_token&refresh_token=" .. next_item()')), [files[-1], "once"]))

        files.append(pool_file(codes(accounts, 20000)))
        body = (f'"grant_type=authorization_code&redirect_uri={urllib.parse.quote(REDIRECT, safe="")}'
                f'&code_verifier={VERIFIER}&code=" .. next_item()')
        results.append(run_wrk("authorization-code exchange", "/oidc/token",
                               lua(200, "id_token", post_request("/oidc/token", basic, body)), [files[-1], "once"]))
        files.append(pool_file(codes(accounts, 10000, client_id="bench-sm2")))
        results.append(run_wrk("authorization-code exchange (SM2)", "/oidc/token",
                               lua(200, "id_token", post_request("/oidc/token", data["basic_sm2"], body)),
                               [files[-1], "once"]))

        files.append(pool_file(service_tickets(accounts, 80000)))
        service = urllib.parse.quote(SERVICE, safe="")
        results.append(run_wrk("CAS serviceValidate", "/cas/serviceValidate", lua(200, "authenticationSuccess", f"""
function request()
  return wrk.format("GET", "/cas/serviceValidate?service={service}&ticket=" .. next_item())
end
"""), [files[-1], "once"]))

        files.append(pool_file(captcha_keys(3000)))
        cookie, token = login_form()
        authorize = ("/oidc/authorize?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": "bench", "redirect_uri": REDIRECT, "scope": "openid profile",
            "state": "s", "nonce": "n", "code_challenge": "c" * 43, "code_challenge_method": "S256"}))
        login = run_wrk("password login → code", "/login/", login_lua(cookie, token, authorize), [files[-1], "once"],
                        connections=LOGIN_CONNECTIONS, threads=LOGIN_CONNECTIONS)  # one per thread: state per thread
        results.append(login)

        files.append(pool_file(captcha_keys(3000)))
        saml = run_wrk("password login → SAML response", "/saml/sso", saml_login_lua(cookie, token, saml_sso_path()),
                       [files[-1], "once"], connections=LOGIN_CONNECTIONS, threads=LOGIN_CONNECTIONS)
        results.append(saml)

        files.append(pool_file(passkey_ceremonies(data["authenticators"], 6000)))
        results.append(run_wrk("passkey login", "/login/passkey/", lua(200, '"redirect"', f"""
function request()
  local item = next_item()
  local space = string.find(item, " ", 1, true)
  return wrk.format("POST", "/login/passkey/", {{["Content-Type"] = "application/json", ["X-CSRFToken"] = "{token}",
    ["Cookie"] = "csrftoken={cookie}; sessionid=" .. string.sub(item, 1, space - 1)}}, string.sub(item, space + 1))
end
"""), [files[-1], "once"]))

        if data["federated"] and (not ONLY or "federation login" in ONLY):
            files.append(pool_file(federation_ceremonies(accounts, 1200)))
            results.append(run_wrk("federation login", "/federation/nation/callback", lua(302, "", """
function request()
  local item = next_item()
  local space = string.find(item, " ", 1, true)
  return wrk.format("GET", string.sub(item, space + 1), {["Cookie"] = "sessionid=" .. string.sub(item, 1, space - 1)})
end
function response(status, headers, body)  -- signed in: sent on to 我的信息, not to the link-or-register choice
  local location = ""
  for key, value in pairs(headers) do if string.lower(key) == "location" then location = value end end
  if status ~= 302 or location ~= "/online/" then failures = failures + 1 end
end
"""), [files[-1], "once"]))
    finally:
        server.terminate()
        server.wait(timeout=10)
        pin("postgres", "0-1")
        pin("redis-server", "0-1")
        for name in files:
            os.unlink(name)
    return results


def main() -> None:
    need("wrk")
    need("taskset")
    print(f"preparing a fresh database ({PG_BENCH}) …", flush=True)
    fresh_database()
    setup_django()
    upstream = start_upstream()
    try:
        report(measure(fixtures()))
    finally:
        if upstream:
            upstream.stop()


def argon2_ms() -> float:
    """The platform hasher's median time on core 0 (where the server ran)."""
    import statistics

    from idp.accounts.hashers import Argon2idHasher

    os.sched_setaffinity(0, {0})
    hasher, timings = Argon2idHasher(), []
    for i in range(30):
        start = time.perf_counter()
        hasher.encode(f"Passw0rd!{i}", hasher.salt())
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def report(results) -> None:
    hash_ms = argon2_ms()
    print(f"\nSingle sign-on on ONE core (granian, 1 worker, taskset -c 0; wrk on core 1; {SECONDS} s each)")
    print(f"{'scenario':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}  {'target':>7}  check")
    for r in filter(None, results):
        target = TARGETS.get(r["name"])
        bad = r["failures"] + r["non2xx"]
        flags = "ok" if bad == 0 else f"{bad} failed"
        if r["exhausted"]:
            flags += f", pool ran out {r['exhausted']}×"
        mark = "" if target is None else (f"{target:>7}" + (" ✓" if r["rps"] >= target else " ✗"))
        print(f"{r['name']:34} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f}  {mark:9}  {flags}")
    logins = {r["name"]: r["rps"] for r in filter(None, results) if r["name"].startswith("password login")}
    if len(logins) == 2:
        oidc, saml = logins["password login → code"], logins["password login → SAML response"]
        print(f"\nA SAML login costs {oidc / saml:.2f}× an OIDC code-flow login ({saml:.1f} against {oidc:.1f}"
              f" logins/s; target ≤ 1.5×)")
    rates = {r["name"]: r["rps"] for r in filter(None, results)}
    for name in ("client_credentials", "authorization-code exchange"):
        if rates.get(name) and rates.get(f"{name} (SM2)"):
            print(f"{name}: SM2 at {rates[f'{name} (SM2)'] / rates[name]:.2f}× the ES256/RS256 rate "
                  f"({rates[f'{name} (SM2)']:.0f} against {rates[name]:.0f}/s)")
    ceiling = 1000 / hash_ms
    print(f"\nargon2id (m=19 MiB, t=2, p=1) on this machine: {hash_ms:.1f} ms per hash → at most "
          f"{ceiling:.0f} password logins/s on one core, before any other work.")
    if rates.get("password login → code"):
        print(f"password login → code: {rates['password login → code']:.1f} logins/s = "
              f"{rates['password login → code'] / ceiling:.0%} of that ceiling (target ≥ 75 %)")
    if rates.get("passkey login"):
        print(f"passkey login: {rates['passkey login']:.0f} logins/s, {rates['passkey login'] / ceiling:.1f}× that "
              f"ceiling (an ECDSA P-256 verification, no password hash)")
    if rates.get("federation login"):
        print(f"federation login: {rates['federation login']:.0f} logins/s (the code exchanged at the upstream, its "
              f"RS256 ID token checked, userinfo asked: two calls to node on core 1)")


if __name__ == "__main__":
    main()
