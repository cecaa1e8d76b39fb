"""One review workflow for 人工认证 (realname) and both password appeals (recovery): a reviewer
opens a case and it is theirs for a while (`claim`: only they see its documents), the pending item
is locked so two reviewers cannot both decide it, a refusal needs a reason, the decision is
recorded on the item, and the applicant is told by SMS once the decision is committed. A reviewer
never decides their own case (`reviewers_own`). Each domain keeps its own model, audit events and
texts; the steps and their order are here.

A module, not an app: it owns no tables (Claimable is abstract). It stands between
accounts/notify and the domains that use it (pyproject.toml, [tool.importlinter]).
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from idp.accounts.models import AGENT_DOCUMENT, LR_DOCUMENT, document_indexes
from idp.notify import tasks as deliveries

CLAIM_MINUTES = 30  # how long an opened case stays the reviewer's without being opened again


class Claimable(models.Model):
    """A case a reviewer has opened: theirs (and its documents visible to them only) for a while."""

    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("审核人"))
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


def _fresh() -> Q:
    return Q(claimed_at__gte=timezone.now() - timedelta(minutes=CLAIM_MINUTES))


def claim(model: type[Claimable], pk: int, reviewer, *, pending: str) -> bool:
    """Open a pending case for `reviewer` (renewing their claim), unless another reviewer's is
    fresh: one statement, so two reviewers opening it at once cannot both have it."""
    free = Q(claimed_by=reviewer) | Q(claimed_by__isnull=True) | ~_fresh()
    return bool(model.objects.filter(free, pk=pk, status=pending).update(claimed_by=reviewer,
                                                                            claimed_at=timezone.now()))


def release(item: Claimable) -> None:
    """The reviewer is done (a decision, or a first approval awaiting a second reviewer)."""
    type(item).objects.filter(pk=item.pk).update(claimed_by=None, claimed_at=None)


def may_see_documents(item: Claimable, reviewer) -> bool:
    """A case's documents are for the reviewer who has it open, and the one who decided it."""
    if getattr(item, "decided_by_id", None) == reviewer.pk:
        return True
    return item.claimed_by_id == reviewer.pk and type(item).objects.filter(_fresh(), pk=item.pk).exists()


def lock_pending(model: type[models.Model], pk: int, *, pending: str,
                 decided: Callable[[models.Model], Exception], reviewer=None,
                 taken: Callable[[models.Model], Exception] | None = None):
    """The item, locked for this transaction; `decided(item)` is raised unless its status is still
    `pending`, and `taken(item)` when another reviewer has it open (`claim`). Only the item's own
    row is locked (PostgreSQL refuses FOR UPDATE across a nullable join)."""
    item = model.objects.select_for_update().get(pk=pk)
    if item.status != pending:
        raise decided(item)
    if (reviewer is not None and item.claimed_by_id not in (None, reviewer.pk)
            and item.claimed_at >= timezone.now() - timedelta(minutes=CLAIM_MINUTES)):
        raise taken(item)
    return item


def taken_message(item: Claimable) -> str:
    return _("该案件正由审核员 %(who)s 处理,请稍后再试") % {"who": item.claimed_by.login_name}


def _documents_and_phones(account) -> tuple[set, set]:
    """The identity documents (blind indexes) and phones an account is tied to."""
    phones, documents = {account.phone}, set()
    if account.is_natural and hasattr(account, "person"):
        documents = document_indexes(account.person)
    elif account.is_legal and hasattr(account, "organisation"):
        org = account.organisation
        documents = document_indexes(org, LR_DOCUMENT) | document_indexes(org, AGENT_DOCUMENT)
        phones.add(org.lr_mobile)
    return phones - {""}, documents


def reviewers_own(reviewer, *, account=None, phones=(), documents=()) -> bool:
    """Four eyes: whether an item is the reviewer's own — their account, or another account or
    application with their phone or their identity document (a second account registered with
    one's own phone is still one's own)."""
    if account is not None and account.pk == reviewer.pk:
        return True
    my_phones, my_documents = _documents_and_phones(reviewer)
    their_phones, their_documents = _documents_and_phones(account) if account is not None else (set(), set())
    their_phones.update(phones)
    their_documents.update(documents)
    return bool(my_phones & their_phones or my_documents & their_documents)


def reason_given(reason: str | None, *, missing: Callable[[], Exception]) -> str:
    """A refusal's reason, stripped; `missing()` is raised when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise missing()
    return reason


def decide(item: models.Model, status: str, reviewer, *, reason: str | None = None, **fields) -> None:
    """Record the decision (and any other changed fields) on the locked item."""
    item.status, item.decided_by, item.decided_at = status, reviewer, timezone.now()
    item.claimed_by, item.claimed_at = None, None
    changed = ["status", "decided_by", "decided_at", "claimed_by", "claimed_at", *fields]
    for name, value in fields.items():
        setattr(item, name, value)
    if reason is not None:
        item.reason = reason[:500]
        changed.append("reason")
    item.save(update_fields=changed)


def notify_after_commit(phone: str, purpose: str, language: str, message: Callable[[], str]) -> None:
    """The applicant's SMS, written in their language (`message()` renders it; the reviewer's
    may be another), queued only if the decision commits (a rolled-back one sends nothing)."""
    if phone:
        with translation.override(language):
            text = str(message())
        transaction.on_commit(lambda: deliveries.queue(to=phone, purpose=purpose, text=text))
