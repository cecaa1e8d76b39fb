"""What happens to grants that higher layers act on (core/events.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class GrantEnded:
    """A grant was revoked by the organisation or declined by the person, inside that transaction:
    what the person entered for the organisation under it ends now, not at expiry."""

    grant: object
