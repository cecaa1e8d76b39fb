"""Periodic purges of what the ground apps keep (core.jobs runs them): expired captchas,
expired database sessions, and the queue's own history."""

from datetime import timedelta

from captcha.models import CaptchaStore
from django.conf import settings
from django.utils import timezone
from django_q.models import Task

from idp.core.jobs import delete_in_batches

QUEUE_HISTORY_DAYS = 7  # failed jobs, for the operator to look into


def purge() -> dict:
    now = timezone.now()
    purged = {
        "captchas": delete_in_batches(CaptchaStore.objects.filter(expiration__lte=now)),
        "queue_history": delete_in_batches(Task.objects.filter(stopped__lt=now - timedelta(days=QUEUE_HISTORY_DAYS))),
        "sessions": 0,
    }
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":  # Redis expires its own
        from django.contrib.sessions.models import Session

        purged["sessions"] = delete_in_batches(Session.objects.filter(expire_date__lte=now))
    return purged
