"""Background jobs: what is slow or may fail — SMS sends, the registry check at registration,
single-logout deliveries — and the periodic purges run in worker processes
(`manage.py qcluster`, started by `make serve` and `make run`), never inside a request.

The queue is django-q2 with its ORM broker: the queue is a table of the platform's own
database, so it works on SQLite in development and on PostgreSQL in production with no other
service, and a job is enqueued in the transaction of the change that asks for it — it exists
if and only if that change committed. A worker takes a job with a compare-and-set on its row,
so workers on several nodes never run one job at once; a job whose worker died is offered
again after Q_CLUSTER["retry"] seconds, so every job checks the state it acts on before
acting (at-least-once delivery, idempotent jobs).

Only the platform's own jobs ever run. Each is a dotted path the apps register (`register`,
`every`); what a worker calls is always `run`, which refuses any other name before importing
anything. Whatever reaches the queue by another way — a schedule row written into the database,
a task naming another function — is rewritten into a call of `run` before it is signed and
queued (`_only_through_run`), and so refused by the worker. Schedules are written by code only
(`write_schedules`); 系统管理 shows the queue read-only (core/admin.py).

A job's arguments are stored in the queue table: never pass a secret or an identity datum in
clear (seal it with core.crypto). Under the test settings (Q_CLUSTER["sync"]) jobs run at once,
in the caller's transaction.
"""

import logging

from django.db import transaction
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.signals import pre_enqueue
from django_q.tasks import async_task

from idp.core.metrics import JOBS_REFUSED

log = logging.getLogger(__name__)

RUNNER = "idp.core.jobs.run"
_jobs: set[str] = set()  # the platform's own jobs (dotted paths)
_periodic: dict[str, int] = {}  # job → every so many minutes


class UnknownJob(Exception):
    pass


def register(*jobs: str) -> None:
    """Declare jobs that may run (from an app's ready())."""
    _jobs.update(jobs)


def enqueue(job: str, *args) -> None:
    """Run the registered job `job` with `args` in a worker, once the current transaction (if
    any) has committed."""
    if job not in _jobs:
        raise UnknownJob(job)
    async_task(RUNNER, job, *args)


def run(job: str, *args):
    """What every worker calls: the job, if it is one of the platform's own."""
    if job not in _jobs:
        JOBS_REFUSED.inc()
        log.error("refused to run a job that is not the platform's: %r", str(job)[:200])
        raise UnknownJob(job)
    return import_string(job)(*args)


def every(minutes: int, job: str) -> None:
    """Run `job` every `minutes` (called from an app's ready()). The schedules are written
    after `migrate`, and the cluster's scheduler starts each one on one node only."""
    register(job)
    _periodic[job] = minutes


def write_schedules(**_) -> None:
    """post_migrate: one schedule per periodic job, and no other schedule."""
    with transaction.atomic():
        for job, minutes in _periodic.items():
            Schedule.objects.update_or_create(
                name=job, defaults={"func": RUNNER, "args": repr((job,)), "kwargs": None, "hook": None,
                                    "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1})
        Schedule.objects.exclude(name__in=list(_periodic)).delete()


def _only_through_run(sender, task, **kwargs) -> None:
    """pre_enqueue (before django-q2 signs the task): every task becomes a call of `run`, with no
    return hook or chain — a schedule naming any other function is refused by the worker."""
    func = task["func"]
    if func != RUNNER:
        task["func"], task["args"] = RUNNER, (func if isinstance(func, str) else repr(func), *task["args"])
    for option in ("hook", "chain"):
        task.pop(option, None)
    task["kwargs"] = {}


pre_enqueue.connect(_only_through_run, dispatch_uid="idp-jobs-only-through-run")


def delete_in_batches(queryset, *, batch: int = 1000) -> int:
    """Delete what `queryset` selects a batch at a time, so a purge of millions of rows never
    holds long locks or one huge transaction. Returns how many rows were deleted."""
    deleted = 0
    while pks := list(queryset.values_list("pk", flat=True)[:batch]):
        deleted += queryset.model.objects.filter(pk__in=pks).delete()[0]
    return deleted
