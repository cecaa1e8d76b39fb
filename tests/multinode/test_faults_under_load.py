"""Faults under a steady load (issue 14, item 7): Redis restarted, PostgreSQL restarted, one node
killed with -9, each while two nodes behind the proxy serve password logins and token requests
(client_credentials, introspection, refresh rotation). Every response is checked; the figures
are printed (docs/benchmarks.md, "Faults under load"): how many failed, when, and how soon
everything succeeded again. Readiness says 503 while a dependency is down, 200 after. No
account, token family, review decision or queued logout is lost or duplicated."""

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from captcha.models import CaptchaStore
from django.db import close_old_connections, connection
from django.utils import timezone

from idp.accounts.models import Account
from idp.audit.models import AuditEntry, Event
from idp.core import outbox
from idp.oidc import families, tokens
from idp.oidc.models import Authorization, RefreshToken
from idp.realname.models import Submission, SubmissionStatus
from idp.sso import logout
from idp.sso import sessions as sso_sessions
from idp.sso.models import LogoutDelivery, SsoSession
from tests import factories
from tests.multinode.cluster import form_login
from tests.oidc.test_revocation import _until
from tests.sso import helpers

pytestmark = [pytest.mark.postgres,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]  # self-signed proxy

TOKEN_RATE, LOGIN_RATE = 30, 3  # requests per second (three token calls per cycle), logins per second
BEFORE, AFTER = 3.0, 5.0  # seconds of load before the fault and after the platform is whole again
SETTLED = 5.0  # after this long past a fault's end, every request must succeed
PEOPLE = 12


@dataclass
class Outcome:
    at: float
    kind: str
    ok: bool
    detail: str = ""


@dataclass
class Load:
    base: str
    client_id: str
    secret: str
    refresh_tokens: list
    login_names: list
    outcomes: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    issued_refresh: list = field(default_factory=list)  # tokens the platform handed out

    def _session(self) -> requests.Session:
        s = requests.Session()
        s.verify, s.trust_env = False, False
        return s

    def _record(self, kind, response=None, ok=False, error=None):
        detail = str(error)[:120] if error else f"{response.status_code}"
        self.outcomes.append(Outcome(time.monotonic(), kind, ok, detail))

    def tokens(self):
        api, auth = self._session(), (self.client_id, self.secret)
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                r = api.post(f"{self.base}/oidc/token", data={"grant_type": "client_credentials"}, auth=auth,
                             timeout=10)
                ok = r.status_code == 200 and "access_token" in r.json()
                self._record("client_credentials", r, ok)
                if ok:
                    i = api.post(f"{self.base}/oidc/introspect", data={"token": r.json()["access_token"]}, auth=auth,
                                 timeout=10)
                    self._record("introspection", i, i.status_code == 200 and i.json().get("active") is True)
            except (requests.RequestException, ValueError) as error:
                self._record("client_credentials", error=error)
            if self.refresh_tokens:
                token = self.refresh_tokens.pop()
                try:
                    r = api.post(f"{self.base}/oidc/token", auth=auth, timeout=10,
                                 data={"grant_type": "refresh_token", "refresh_token": token})
                    ok = r.status_code == 200 and "refresh_token" in r.json()
                    self._record("refresh", r, ok)
                    if ok:
                        self.issued_refresh.append(r.json()["refresh_token"])
                        self.refresh_tokens.insert(0, r.json()["refresh_token"])
                    # a failed rotation may have been committed: that family is not used again
                except (requests.RequestException, ValueError) as error:
                    self._record("refresh", error=error)
            time.sleep(max(0.0, 3 / (TOKEN_RATE / 2) - (time.monotonic() - started)))

    def logins(self, offset: int):
        n = offset
        while not self.stop.is_set():
            started, user = time.monotonic(), self._session()
            n += 2
            try:
                page, ok = form_login(user, self.base, self.login_names[n % len(self.login_names)],
                                      factories.PASSWORD, _captcha_answer)
                self._record("login", page, ok)
            except (requests.RequestException, KeyError) as error:
                self._record("login", error=error)
            user.close()
            time.sleep(max(0.0, 2 / LOGIN_RATE - (time.monotonic() - started)))
        connection.close()  # this thread's own connection (the captcha answers)


def _captcha_answer(hashkey: str) -> str:
    """Read by the load generator (a test's privilege); retried while the database restarts."""
    for _ in range(50):
        try:
            return CaptchaStore.objects.get(hashkey=hashkey).response
        except Exception:
            connection.close()
            time.sleep(0.1)
    return ""


def _state() -> dict:
    """What must survive every fault, neither lost nor doubled."""
    close_old_connections()
    return {
        "accounts": sorted(Account.objects.values_list("pk", "login_name")),
        "families": sorted(Authorization.objects.values_list("pk", "revoked_at")),
        "decisions": sorted(Submission.objects.exclude(status=SubmissionStatus.PENDING)
                            .values_list("pk", "status")),
        "logouts": sorted(LogoutDelivery.objects.values_list("pk", "url")),
    }


def _postgres(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True,
                   capture_output=True)


def _families(rp, person, count: int) -> list[str]:
    made = []
    for _ in range(count):
        token, digest = tokens.new_refresh_token()
        families.open_family(client_pk=rp.client.pk, account_pk=person.pk, acting_for_pk=None, session_pk=None,
                             scope="openid", auth_time=timezone.now(), refresh_digest=digest)
        made.append(token)
    return made


def test_the_platform_survives_redis_and_postgres_restarts_and_a_killed_node(platform, receiver, queued, capsys):
    rp = helpers.oidc_client("rp-faults", backchannel_logout_uri=receiver.url + "/bc")
    people = [factories.natural_account(f"load_{n}") for n in range(PEOPLE)]
    reviewed = factories.natural_account("reviewed")
    Submission.objects.create(account=reviewed, status=SubmissionStatus.APPROVED, decided_at=timezone.now())
    nodes = {node.name: node for node in platform.nodes}

    def redis_restart():
        platform.redis.stop()
        down = [node.ready() for node in platform.nodes]
        time.sleep(2)
        platform.redis.start()
        return down

    def postgres_restart():
        _postgres("stop")
        down = [node.ready() for node in platform.nodes]
        time.sleep(2)
        _postgres("start")
        connection.close()
        return down

    def node_killed():
        nodes["a"].kill9()
        time.sleep(2)
        nodes["a"].start()
        return None  # the proxy's check takes the node out; the load shows whether it did

    report = []
    for name, fault in [("Redis restarted", redis_restart), ("PostgreSQL restarted", postgres_restart),
                        ("node a killed (-9)", node_killed)]:
        # A queued logout rides through the fault: delivered once, afterwards.
        session = SsoSession.objects.create(sid=f"sid-{len(report)}", account=people[0], auth_time=timezone.now())
        sso_sessions.join(session, rp.client, subject=f"subject-{len(report)}")
        before = _state()
        logins_before = AuditEntry.objects.filter(event=Event.LOGIN).count()
        load = Load(platform.proxy.url, rp.client.client_id, rp.secret, _families(rp, people[0], 300),
                    [p.login_name for p in people])
        workers = [threading.Thread(target=load.tokens), threading.Thread(target=load.tokens),
                   threading.Thread(target=load.logins, args=(0,)), threading.Thread(target=load.logins, args=(1,))]
        for worker in workers:
            worker.start()
        time.sleep(BEFORE)
        logout.queue_for(session)
        fault_at = time.monotonic()
        readiness_down = fault()
        whole_at = time.monotonic()
        ready_again = _until(lambda: all(node.ready() == 200 for node in platform.nodes), 30)
        time.sleep(AFTER)
        load.stop.set()
        for worker in workers:
            worker.join(timeout=30)
        close_old_connections()

        failed = [o for o in load.outcomes if not o.ok]
        settled = [o for o in failed if o.at > whole_at + SETTLED]
        early = [o for o in failed if o.at < fault_at]
        last = max((o.at for o in failed), default=fault_at)
        report.append(f"{name:22} {len(load.outcomes):5} requests, {len(failed):3} failed "
                      f"({', '.join(sorted({f'{o.kind}:{o.detail}' for o in failed}))[:90] or '-'}); "
                      f"fault lasted {whole_at - fault_at:.1f} s, all succeed from "
                      f"+{max(0.0, last - fault_at):.1f} s after it began; readiness while down {readiness_down}")
        assert not early, early[:5]
        assert not settled, settled[:5]
        assert ready_again
        if readiness_down is not None:
            assert all(status == 503 for status in readiness_down), readiness_down
        after = _state()
        for kind, rows in before.items():
            assert set(rows) <= set(after[kind]), f"{kind} lost in '{name}'"
        assert len(after["accounts"]) == len({login for _, login in after["accounts"]})
        # Every refresh token the platform handed out is stored, once.
        issued = [tokens.digest(t) for t in load.issued_refresh]
        assert RefreshToken.objects.filter(digest__in=issued).count() == len(set(issued))
        # Every successful login is one audited login (a login answered by a failure may still
        # have been committed just before it).
        logins = [o for o in load.outcomes if o.kind == "login"]
        audited = AuditEntry.objects.filter(event=Event.LOGIN).count() - logins_before
        assert sum(o.ok for o in logins) <= audited <= len(logins)
        # A notification the fault interrupted goes again after its retry delay (a failed attempt)
        # or its lease (a killed worker), at the next once-a-minute sweep: wait for the slowest.
        assert _until(lambda: LogoutDelivery.objects.filter(delivered_at__isnull=True).count() == 0,
                      max(logout.RETRY_DELAYS[0], outbox.lease_seconds(logout.BATCH, logout.TIMEOUT)) + 60 + 30)
        sids = [post for path, post in receiver.posts]
        assert len(sids) == len(report), f"logout deliveries: {len(sids)} for {len(report)} sessions"

    with capsys.disabled():
        print("\n\nFaults under load (two nodes behind HAProxy; "
              f"{TOKEN_RATE} token requests/s and {LOGIN_RATE} logins/s):")
        for line in report:
            print("  " + line)
