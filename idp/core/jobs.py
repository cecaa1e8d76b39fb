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

A job's arguments are stored in the queue table: never pass a secret or an identity datum in
clear (seal it with core.crypto). Under the test settings (Q_CLUSTER["sync"]) jobs run at once,
in the caller's transaction.
"""

from django.db import transaction
from django_q.models import Schedule
from django_q.tasks import async_task

_periodic: dict[str, int] = {}  # job (dotted path) → every so many minutes


def enqueue(job: str, *args) -> None:
    """Run the function named `job` (a dotted path) with `args` in a worker, once the current
    transaction (if any) has committed."""
    async_task(job, *args)


def every(minutes: int, job: str) -> None:
    """Run `job` every `minutes` (called from an app's ready()). The schedules are written
    after `migrate`, and the cluster's scheduler starts each one on one node only."""
    _periodic[job] = minutes


def write_schedules(**_) -> None:
    """post_migrate: one schedule per periodic job; schedules of jobs that are gone removed."""
    with transaction.atomic():
        for job, minutes in _periodic.items():
            Schedule.objects.update_or_create(
                name=job, defaults={"func": job, "schedule_type": Schedule.MINUTES, "minutes": minutes,
                                    "repeats": -1})
        Schedule.objects.filter(name__startswith="idp.").exclude(name__in=list(_periodic)).delete()


def delete_in_batches(queryset, *, batch: int = 1000) -> int:
    """Delete what `queryset` selects a batch at a time, so a purge of millions of rows never
    holds long locks or one huge transaction. Returns how many rows were deleted."""
    deleted = 0
    while pks := list(queryset.values_list("pk", flat=True)[:batch]):
        deleted += queryset.model.objects.filter(pk__in=pks).delete()[0]
    return deleted
