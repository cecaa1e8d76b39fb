"""What happens to SSO sessions that the protocols act on (core/events.py)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SessionEnded:
    """An SSO session ended (its single logouts are queued): its tokens and tickets end with it."""

    session: object
