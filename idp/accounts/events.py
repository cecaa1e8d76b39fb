"""What happens to accounts that higher layers act on (core/events.py). Published by the
services of accounts (and by recovery for a reset); who acts on each is in `subscriptions()` and
docs/architecture.md."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Registered:
    """A new account, inside its registration's transaction."""

    account: object
    ip: str


@dataclass(frozen=True)
class IdentityChanged:
    """我的信息 saved a change of identity data: what was verified or submitted no longer applies."""

    account: object
    actor: object
    ip: str


@dataclass(frozen=True)
class LoggedIn:
    """Both factors passed and the platform session began (`request.session` is the new one)."""

    request: object
    account: object


@dataclass(frozen=True)
class LoggingOut:
    """The platform session is about to end (its contents are still readable)."""

    request: object
    account: object


@dataclass(frozen=True)
class PasswordChanged:
    """The holder changed the password in `request`'s session; their other sessions end."""

    request: object
    account: object


@dataclass(frozen=True)
class CredentialsReset:
    """The password was set through recovery (a reset, an appeal's link): every session ends."""

    account: object


@dataclass(frozen=True)
class AccountDisabled:
    """An operator disabled the account: every session ends."""

    account: object
