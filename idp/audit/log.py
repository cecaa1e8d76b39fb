"""record(), and audit_row() for writers that insert many entries at once: the one way to write
the audit log."""

from django.utils import timezone
from django.utils.functional import Promise

from idp.audit.models import AuditEntry, Event
from idp.core.metrics import EVENTS


def record(event: Event, *, account=None, actor=None, ip: str = "", login_name: str = "",
           **detail) -> AuditEntry:
    """Write one audit entry. `detail` must hold no secrets and no unmasked identity numbers."""
    EVENTS.labels(str(event)).inc()  # counted when written (a rolled-back request still counts)
    return AuditEntry.objects.create(
        event=event,
        account=account,
        actor=actor,
        account_ref=account.pk if account else None,
        actor_ref=actor.pk if actor else None,
        login_name=(login_name or (account.login_name if account else ""))[:64],
        ip=ip,
        detail=_plain(detail),
    )


def audit_row(event: Event, *, account_id: int | None = None, actor_id: int | None = None, login_name: str = "",
              ip: str = "", at=None, **detail) -> dict:
    """One entry as column values, for a writer that inserts many rows in one statement (the legacy
    import's COPY). Counted like record(); the same rules for `detail`."""
    EVENTS.labels(str(event)).inc()
    return {"event": event, "account_id": account_id, "actor_id": actor_id, "account_ref": account_id,
            "actor_ref": actor_id, "login_name": login_name[:64],
            "ip": ip, "at": at or timezone.now(), "detail": _plain(detail)}


def _plain(detail: dict) -> dict:
    """A translatable text in the detail is written as the text of the request's language."""
    return {key: str(value) if isinstance(value, Promise) else value for key, value in detail.items()}
