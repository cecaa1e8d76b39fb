"""What higher layers react to: single sign-on ends the token families acting under a grant."""

from django.dispatch import Signal

# Sent inside the transaction that revoked or declined the grant; args: grant.
grant_ended = Signal()
