"""Background jobs (idp/core/jobs.py): what requests leave to the workers, the periodic purges,
and real `qcluster` workers on PostgreSQL — two clusters never deliver one notification twice."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_q.models import Schedule
from joserfc import jwt

from idp.accounts.models import Account, RealNameStatus
from idp.core import jobs
from idp.notify.models import OneTimeCode
from idp.oidc import tokens
from idp.oidc.models import Authorization, RefreshToken, RevokedAccessToken
from idp.realname import verifiers
from idp.sso import keys, logout
from idp.sso import sessions as sso_sessions
from idp.sso.models import Ephemeral, LogoutDelivery, SsoSession
from tests import factories
from tests.accounts.test_registration import natural_data
from tests.sso import helpers

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_registration_leaves_the_registry_check_to_a_worker(client, queued, monkeypatch):
    asked = []
    real = verifiers.ReferenceVerifier.check_person
    monkeypatch.setattr(verifiers.ReferenceVerifier, "check_person",
                        lambda self, query: asked.append(query) or real(self, query))
    client.post("/api/sms/send", {"phone": "13912340001", "purpose": "register"})
    queued.run()  # the code's message
    data = natural_data(client, name="邵英文", id_number="370404195104156557")
    response = client.post("/register/natural/", data)
    assert response.status_code == 302
    account = Account.objects.get(login_name=data["login_name"])
    assert account.realname_status == RealNameStatus.UNVERIFIED and asked == []
    assert [job["job"] for job in queued.jobs()] == ["idp.realname.tasks.check_registration"]
    queued.run()
    account.refresh_from_db()
    assert len(asked) == 1 and account.realname_status == RealNameStatus.REGISTRY_PASSED


@pytest.mark.django_db
def test_every_periodic_job_has_its_schedule_after_migrate():
    schedules = {s.name: s for s in Schedule.objects.all()}
    assert set(schedules) == set(jobs._periodic) >= {
        "idp.core.tasks.purge", "idp.notify.tasks.purge", "idp.sso.logout.deliver_due",
        "idp.sso.logout.purge_finished", "idp.sso.store.purge_expired", "idp.oidc.tasks.purge"}
    assert schedules["idp.sso.logout.deliver_due"].minutes == 1
    assert all(s.func == jobs.RUNNER and s.args == repr((name,)) and s.repeats == -1 for name, s in schedules.items())


@pytest.mark.django_db
def test_the_purges_delete_what_expired_and_keep_the_rest(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.REDIS_URL = ""  # database mode of the short-lived items
    now = timezone.now()
    old, recent = now - timedelta(days=10), now - timedelta(minutes=1)

    CaptchaStore.objects.create(challenge="A", response="a", hashkey="old", expiration=old)
    CaptchaStore.objects.create(challenge="B", response="b", hashkey="new", expiration=now + timedelta(minutes=5))
    Session.objects.create(session_key="old", session_data="", expire_date=old)
    Session.objects.create(session_key="new", session_data="", expire_date=now + timedelta(hours=1))
    for at in (old, recent):
        OneTimeCode.objects.create(phone="13900000000", purpose="register", code_digest="x", created_at=at,
                                   expires_at=at + timedelta(minutes=5))
    Ephemeral.objects.create(key="cas:ST-old", value={}, expires_at=recent)
    Ephemeral.objects.create(key="cas:ST-new", value={}, expires_at=now + timedelta(minutes=1))

    rp = helpers.oidc_client("rp-purge").client
    RevokedAccessToken.objects.create(jti="gone", expires_at=recent)
    RevokedAccessToken.objects.create(jti="kept", expires_at=now + timedelta(minutes=5))
    delivered = LogoutDelivery.objects.create(kind=LogoutDelivery.Kind.BACKCHANNEL, client=rp, url="https://rp.example.test/bc",
                                              form_field="logout_token", payload="{}", next_attempt_at=old,
                                              delivered_at=old)
    pending = LogoutDelivery.objects.create(kind=LogoutDelivery.Kind.BACKCHANNEL, client=rp, url="https://rp.example.test/bc",
                                            form_field="logout_token", payload="{}",
                                            next_attempt_at=now + timedelta(hours=1))

    from idp.core import tasks as core_tasks
    from idp.notify import tasks as notify_tasks
    from idp.oidc import tasks as oidc_tasks
    from idp.sso import store

    assert core_tasks.purge() == {"captchas": 1, "queue_history": 0, "sessions": 1}
    assert notify_tasks.purge() == 1
    assert store.purge_expired() == 1
    assert logout.purge_finished() == 1
    assert oidc_tasks.purge() == {"refresh_tokens": 0, "revoked_access_tokens": 1}

    assert list(CaptchaStore.objects.values_list("hashkey", flat=True)) == ["new"]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
    assert OneTimeCode.objects.get().created_at == recent
    assert list(Ephemeral.objects.values_list("key", flat=True)) == ["cas:ST-new"]
    assert list(RevokedAccessToken.objects.values_list("jti", flat=True)) == ["kept"]
    assert list(LogoutDelivery.objects.values_list("pk", flat=True)) == [pending.pk] != [delivered.pk]


@pytest.mark.django_db
def test_refresh_tokens_are_kept_for_reuse_detection_then_purged(monkeypatch):
    """A spent token's row outlives the token (reuse detection) for REFRESH_TOKENS_KEPT_DAYS; then the
    purge takes it — on PostgreSQL by dropping the month partitions (core/partitions.py) it lies in."""
    from idp.oidc import tasks as oidc_tasks

    rp = helpers.oidc_client("rp-purge").client
    person = factories.natural_account()
    now = timezone.now()
    family = Authorization.objects.create(client=rp, account=person, scope="openid", auth_time=now)
    spent = tokens.new_refresh_token()
    RefreshToken.objects.create(digest=spent[1], authorization=family, expires_at=now, used_at=now)
    RefreshToken.objects.create(digest="live", authorization=family, expires_at=now + timedelta(hours=8))

    assert oidc_tasks.purge()["refresh_tokens"] == 0
    assert RefreshToken.objects.count() == 2

    # Past the kept days, and past the end of the month that holds them (PostgreSQL drops whole months).
    later = now + timedelta(days=oidc_tasks.REFRESH_TOKENS_KEPT_DAYS + 93)
    monkeypatch.setattr(oidc_tasks.timezone, "now", lambda: later)
    assert oidc_tasks.purge()["refresh_tokens"] == 2
    assert not RefreshToken.objects.exists()
    monkeypatch.undo()

    # Within the kept days, the spent token presented again is reuse: its family is revoked.
    family = Authorization.objects.create(client=rp, account=person, scope="openid", auth_time=now)
    RefreshToken.objects.create(digest=spent[1], authorization=family, expires_at=now, used_at=now)
    assert oidc_tasks.purge()["refresh_tokens"] == 0
    assert tokens.use_refresh_token(spent[0], rp.pk) is None
    family.refresh_from_db()
    assert family.revoke_reason == "refresh_reuse"


def test_delete_in_batches_deletes_everything_selected(db):
    for n in range(25):
        Ephemeral.objects.create(key=f"k{n}", value={}, expires_at=timezone.now())
    assert jobs.delete_in_batches(Ephemeral.objects.filter(key__startswith="k1"), batch=4) == 11
    assert Ephemeral.objects.count() == 14


def _cluster(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.postgres
def test_two_real_clusters_deliver_each_logout_once(transactional_db, receiver, tmp_path, queued):
    """Two `manage.py qcluster` processes (as on two nodes) share the queue in PostgreSQL."""
    from tests.interop.servers import database_url

    rp = helpers.oidc_client("rp-two-clusters", backchannel_logout_uri=receiver.url + "/bc").client
    for n in range(20):
        session = SsoSession.objects.create(sid=f"sid-{n}", account=factories.natural_account(),
                                            auth_time=timezone.now())
        sso_sessions.join(session, rp, subject=f"subject-{n}")
        logout.queue_for(session)
    assert len(queued.jobs()) == 20
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "IDP_JOBS_INLINE": "0",
           "IDP_DATABASE_URL": database_url(), "IDP_QUEUE_WORKERS": "2"}
    clusters = [_cluster(env, tmp_path / f"cluster-{n}.log") for n in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and LogoutDelivery.objects.filter(delivered_at__isnull=True).exists():
            time.sleep(0.2)
    finally:
        for cluster in clusters:
            cluster.send_signal(signal.SIGTERM)  # to the cluster, which stops its own processes
        for cluster in clusters:
            cluster.wait(timeout=30)
    assert LogoutDelivery.objects.filter(delivered_at__isnull=False, attempts=1).count() == 20
    sids = [jwt.decode(post[1]["logout_token"], keys.public_keys()).claims["sid"] for post in receiver.posts]
    assert sorted(sids) == sorted(f"sid-{n}" for n in range(20))  # each once


@pytest.mark.django_db
def test_a_schedule_written_into_the_database_runs_nothing_but_the_platforms_jobs(queued, tmp_path, monkeypatch):
    """Issue 25 N2: a Schedule naming `shutil.copyfile` ran it on the worker within seconds."""
    from multiprocessing import Queue, Value

    from django_q import scheduler as scheduler_module
    from django_q.brokers import get_broker
    from django_q.scheduler import scheduler

    # The scheduler runs in this process, inside the test's transaction: it must not close the
    # connection first, as it does in a cluster's own process.
    monkeypatch.setattr(scheduler_module, "close_old_django_connections", lambda: None)
    from django_q.signing import SignedPackage
    from django_q.worker import worker

    target = tmp_path / "copied"
    Schedule.objects.create(name="innocent", func="shutil.copyfile", args=repr((__file__, str(target))),
                            hook="shutil.rmtree", schedule_type=Schedule.ONCE,
                            next_run=timezone.now() - timedelta(minutes=1))
    Schedule.objects.exclude(name="innocent").delete()  # the platform's own, due now too
    scheduler(get_broker())
    (job,) = queued.jobs()
    assert job == {"job": "shutil.copyfile", "args": [__file__, str(target)]}
    from django_q.models import OrmQ

    task = SignedPackage.loads(OrmQ.objects.get().payload)
    assert "hook" not in task
    task["sync"] = True  # the worker runs in this process: it must keep the test's database connection
    tasks, results = Queue(), Queue()
    tasks.put(task)
    tasks.put("STOP")
    with pytest.raises(jobs.UnknownJob):  # django-q2's own worker loop, as the cluster runs it
        worker(tasks, results, Value("f", -1))
    assert not target.exists()


@pytest.mark.django_db
def test_the_queue_is_read_only_in_the_admin(client):
    operator = factories.natural_account("queue_operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    factories.sign_in(client, operator)
    assert client.get("/admin/django_q/schedule/").status_code == 200
    assert client.get("/admin/django_q/schedule/add/").status_code == 403
    schedule = Schedule.objects.first()
    page = client.get(f"/admin/django_q/schedule/{schedule.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(f"/admin/django_q/schedule/{schedule.pk}/change/",
                           {"func": "shutil.copyfile", "name": schedule.name})
    assert response.status_code == 403
    assert Schedule.objects.get(pk=schedule.pk).func == jobs.RUNNER


def test_only_registered_jobs_can_be_queued():
    with pytest.raises(jobs.UnknownJob):
        jobs.enqueue("shutil.rmtree", "/")
    with pytest.raises(jobs.UnknownJob):
        jobs.run("os.system", "true")


@pytest.mark.postgres
def test_every_purge_reads_an_index_not_the_whole_table(db):
    """What each periodic purge selects (a batch at a time, core/jobs.py::delete_in_batches) can be read
    through an index, so a purge costs what it deletes, not the size of the table (the refresh tokens
    and the audit log drop whole months instead: core/partitions.py)."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.db.models import Q
    from django_q.models import Task

    from idp.provisioning.models import ScimChange, WebhookDelivery

    now = timezone.now()
    finished = Q(delivered_at__lt=now) | Q(failed_at__lt=now)
    purges = {
        "captchas": CaptchaStore.objects.filter(expiration__lte=now),
        "queue history": Task.objects.filter(stopped__lt=now),
        "sessions": Session.objects.filter(expire_date__lte=now),
        "one-time codes": OneTimeCode.objects.filter(created_at__lt=now),
        "short-lived items": Ephemeral.objects.filter(expires_at__lte=now),
        "revoked access tokens": RevokedAccessToken.objects.filter(expires_at__lt=now),
        "logout deliveries": LogoutDelivery.objects.filter(finished),
        "webhook deliveries": WebhookDelivery.objects.filter(finished),
        "SCIM changes": ScimChange.objects.filter(finished),
    }
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table would be scanned anyway
    plans = {name: query.values_list("pk", flat=True)[:1000].explain() for name, query in purges.items()}
    # Read by a condition on an index: not the table, nor a whole index filtered row by row.
    assert {name: plan for name, plan in plans.items() if "Seq Scan" in plan or "Index Cond" not in plan} == {}
