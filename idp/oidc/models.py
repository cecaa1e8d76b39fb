"""Durable OAuth 2.0 state. An Authorization is one consent of a user to a client — created
when an authorization code is exchanged — and the family of every refresh token rotated from
it: revoking it makes all of them, and the access tokens issued under it, inactive."""

from django.conf import settings
from django.db import models

from idp.sso.models import Client, SsoSession


class Authorization(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    acting_for = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="+")
    session = models.ForeignKey(SsoSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    scope = models.CharField(max_length=255)
    auth_time = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=32, blank=True)

    def __str__(self):
        return f"{self.client_id}/{self.account_id} #{self.pk}"


class RefreshToken(models.Model):
    """Stored as SHA-256 of a 256-bit random token. Rotation: each use marks it used and
    issues the next one; presenting a used token again revokes the family."""

    digest = models.CharField(max_length=64)
    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="refresh_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # A constraint, not unique=True: on PostgreSQL that would add a second (pattern-ops)
        # index to every insert, and digests are only ever compared for equality. There the table is
        # partitioned by month (migration 0003, core/partitions.py) and the constraint holds the month too.
        constraints = [models.UniqueConstraint(fields=["digest"], name="refresh_token_digest_unique")]

    def __str__(self):
        return f"refresh token of #{self.authorization_id}"


class RevokedAccessToken(models.Model):
    """Access tokens revoked one by one (RFC 7009); kept until they would have expired."""

    jti = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.jti
