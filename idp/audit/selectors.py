"""Searching the audit log (the console's 审计日志)."""

from datetime import datetime

from django.db.models import Q, QuerySet

from idp.audit.models import AuditEntry


def search(*, login_name: str = "", event: str = "", since: datetime | None = None,
           until: datetime | None = None, events: set[str] | None = None) -> QuerySet:
    """Entries about or by an account (login name, any case), of one event type, in a time range,
    among `events` (None: all); newest first."""
    entries = AuditEntry.objects.select_related("account", "actor")
    if events is not None:
        entries = entries.filter(event__in=events)
    if login_name:
        # The account is found first (by its unique lower-case login name), so that each of the three
        # conditions reads its own index; joined into one OR they made PostgreSQL scan every entry.
        name = login_name.lower()
        accounts = AuditEntry._meta.get_field("account").related_model.objects
        named = list(accounts.filter(login_name__lower=name).values_list("pk", flat=True))
        entries = entries.filter(Q(login_name__lower=name) | Q(account_id__in=named) | Q(actor_id__in=named))
    if event:
        entries = entries.filter(event=event)
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lte=until)
    return entries.order_by("-at", "-id")
