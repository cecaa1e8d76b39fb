"""The periodic purge of OAuth state that can no longer be used: the refresh tokens of dead
families — every token of the family expired, or the family revoked — and revocations of
access tokens that have expired anyway. A live family keeps its spent tokens, so presenting one
again is still detected as reuse and revokes the family. Authorizations stay: they are the
record of each consent."""

from itertools import islice

from django.db.models import Max, Q
from django.utils import timezone

from idp.core.jobs import delete_in_batches
from idp.oidc.models import Authorization, RefreshToken, RevokedAccessToken

FAMILIES_AT_ONCE = 500


def purge() -> dict:
    now = timezone.now()
    dead = (Authorization.objects.annotate(last=Max("refresh_tokens__expires_at"))
            .filter(last__isnull=False).filter(Q(revoked_at__isnull=False) | Q(last__lt=now))
            .values_list("pk", flat=True))
    tokens, families = 0, dead.iterator(chunk_size=FAMILIES_AT_ONCE)
    while chunk := list(islice(families, FAMILIES_AT_ONCE)):
        tokens += RefreshToken.objects.filter(authorization_id__in=chunk).delete()[0]
    return {"refresh_tokens": tokens,
            "revoked_access_tokens": delete_in_batches(RevokedAccessToken.objects.filter(expires_at__lt=now))}
