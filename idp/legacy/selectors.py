"""Read-only questions about the legacy migration, for the console's 用户转移 pages."""

from django.db.models import Q, QuerySet

from idp.legacy.models import ImportRun, LegacyAccount


def find_moved(query: str, most: int = 50) -> QuerySet:
    """Migrated accounts by legacy id, USCC / phone (the key) or login name."""
    return (LegacyAccount.objects.filter(Q(legacy_id=query) | Q(key=query.upper()) | Q(login_name__iexact=query))
            .select_related("account", "run")[:most])


def recent_runs(most: int = 20) -> QuerySet:
    return ImportRun.objects.all()[:most]


def run(pk: int) -> ImportRun | None:
    return ImportRun.objects.filter(pk=pk).first()
