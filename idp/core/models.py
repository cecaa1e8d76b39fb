from django.db import models


class OutboxMessage(models.Model):
    """The columns core/outbox.py sends by: a message to another system that may fail — where it goes
    (as it was when the message was made), how often it was tried, when next, and how it ended.
    Single-logout notices, webhooks and SCIM changes are such messages."""

    url = models.CharField(max_length=500)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        # The purge of what was sent or given up days ago (outbox.py) reads these, not the whole table.
        indexes = [models.Index(fields=["delivered_at"], name="%(class)s_sent",
                                condition=models.Q(delivered_at__isnull=False)),
                   models.Index(fields=["failed_at"], name="%(class)s_ended",
                                condition=models.Q(failed_at__isnull=False))]
