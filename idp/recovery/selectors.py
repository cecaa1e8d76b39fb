"""Read-only questions about appeals, for the review console."""

from django.db.models import Count, QuerySet

from idp.recovery.models import Appeal, AppealFile, AppealStatus


def pending_counts_by_kind() -> dict[str, int]:
    """{appeal kind: appeals waiting}."""
    return dict(Appeal.objects.filter(status=AppealStatus.PENDING).values_list("kind").annotate(n=Count("id")))


def queue(kind: str) -> QuerySet:
    """The waiting appeals of one kind, oldest first."""
    return Appeal.objects.filter(status=AppealStatus.PENDING, kind=kind).order_by("submitted_at", "id")


def appeal(pk: int) -> Appeal | None:
    return Appeal.objects.prefetch_related("files").filter(pk=pk).first()


def appeal_file(pk) -> AppealFile | None:
    return AppealFile.objects.select_related("appeal").filter(pk=pk).first()
