"""record(): the one way to write the audit log."""

from django.utils.functional import Promise

from idp.audit.models import AuditEntry, Event
from idp.core.metrics import EVENTS


def record(event: Event, *, account=None, actor=None, ip: str = "", login_name: str = "",
           **detail) -> AuditEntry:
    """Write one audit entry. `detail` must hold no secrets and no unmasked identity numbers; a
    translatable text in it is written as the text of the request's language."""
    EVENTS.labels(str(event)).inc()  # counted when written (a rolled-back request still counts)
    return AuditEntry.objects.create(
        event=event,
        account=account,
        actor=actor,
        login_name=(login_name or (account.login_name if account else ""))[:64],
        ip=ip,
        detail={key: str(value) if isinstance(value, Promise) else value for key, value in detail.items()},
    )
