"""The periodic purge of OAuth state that can no longer be used: refresh tokens issued more than
REFRESH_TOKENS_KEPT_DAYS ago, and revocations of access tokens that have expired anyway.
Authorizations stay: they are the record of each consent.

A refresh token lives hours (IDP_REFRESH_TOKEN_SECONDS), but its row is kept for days: a spent
token presented again while its row exists revokes its family (reuse detection); after that it
is refused like any unknown token. On PostgreSQL the table is partitioned by month
(core/partitions.py) and the purge drops the months wholly past that time — nothing is scanned
or deleted row by row, and a row may stay up to a month longer; on SQLite the rows are deleted."""

from datetime import timedelta

from django.utils import timezone

from idp.core import partitions
from idp.core.jobs import delete_in_batches
from idp.oidc.models import RefreshToken, RevokedAccessToken

REFRESH_TOKENS_KEPT_DAYS = 30


def purge() -> dict:
    now = timezone.now()
    table, before = RefreshToken._meta.db_table, now - timedelta(days=REFRESH_TOKENS_KEPT_DAYS)
    if partitions.is_partitioned(table):
        partitions.ensure(table, now=now)
        refresh_tokens = partitions.drop_before(table, before)
    else:
        refresh_tokens = delete_in_batches(RefreshToken.objects.filter(created_at__lt=before))
    return {"refresh_tokens": refresh_tokens,
            "revoked_access_tokens": delete_in_batches(RevokedAccessToken.objects.filter(expires_at__lt=now))}
