"""One review workflow for 人工认证 (realname) and both password appeals (recovery): lock the pending
item so two reviewers cannot both decide it, insist on a reason for a refusal, record the
decision on the item, and tell the applicant by SMS once the decision is committed. Each domain
keeps its own model, audit events and texts; the steps and their order are here.

A package, not an app: it owns no models. It stands between accounts/notify and the domains that
use it (pyproject.toml, [tool.importlinter]).
"""

from collections.abc import Callable

from django.db import models, transaction
from django.utils import timezone

from idp.notify import tasks as deliveries


def lock_pending(model: type[models.Model], pk: int, *, pending: str,
                 decided: Callable[[models.Model], Exception]):
    """The item, locked for this transaction; `decided(item)` is raised unless its status is still
    `pending`. Only the item's own row is locked (PostgreSQL refuses FOR UPDATE across a nullable
    join)."""
    item = model.objects.select_for_update().get(pk=pk)
    if item.status != pending:
        raise decided(item)
    return item


def reason_given(reason: str | None, *, missing: Callable[[], Exception]) -> str:
    """A refusal's reason, stripped; `missing()` is raised when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise missing()
    return reason


def decide(item: models.Model, status: str, reviewer, *, reason: str | None = None, **fields) -> None:
    """Record the decision (and any other changed fields) on the locked item."""
    item.status, item.decided_by, item.decided_at = status, reviewer, timezone.now()
    changed = ["status", "decided_by", "decided_at", *fields]
    for name, value in fields.items():
        setattr(item, name, value)
    if reason is not None:
        item.reason = reason[:500]
        changed.append("reason")
    item.save(update_fields=changed)


def notify_after_commit(phone: str, purpose: str, text: str) -> None:
    """The applicant's SMS, queued only if the decision commits (a rolled-back one sends nothing)."""
    if phone:
        transaction.on_commit(lambda: deliveries.queue(to=phone, purpose=purpose, text=text))
