"""Read-only questions about manual verification, for the review console."""

from django.db.models import Count, QuerySet

from idp.realname.models import Submission, SubmissionStatus


def pending() -> QuerySet:
    return Submission.objects.filter(status=SubmissionStatus.PENDING)


def pending_counts_by_kind() -> dict[str, int]:
    """{account kind: submissions waiting}."""
    return dict(pending().values_list("account__kind").annotate(n=Count("id")))


def queue(account_kind: str) -> QuerySet:
    """The waiting submissions of one kind of account, oldest first."""
    return (pending().filter(account__kind=account_kind)
            .select_related("account", "account__person", "account__organisation")
            .order_by("submitted_at", "id"))


def submission(pk: int) -> Submission | None:
    return (Submission.objects.select_related("account", "decided_by").prefetch_related("files")
            .filter(pk=pk).first())


def earlier_submissions(current: Submission, most: int = 10) -> QuerySet:
    return (Submission.objects.filter(account=current.account_id).exclude(pk=current.pk)
            .select_related("decided_by").order_by("-submitted_at")[:most])
