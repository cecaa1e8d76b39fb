"""Every copy of database facts a process keeps in memory, in one list.

A few facts are read on nearly every protocol request, so each process keeps them: the
registered clients (sso/clients.py), the signing key ring (sso/keys.py), the revoked tokens
(oidc/revocation.py), access tokens whose signature was already checked (oidc/tokens.py) and
the discovery document (oidc/views.py). How each stays correct across processes and nodes —
the change announced over Redis (core/broadcast.py), reads going to the source while a copy may
have missed one — is docs/architecture.md, "Caches". Each module registers its copy here with
the function that forgets it; `forget_all()` empties them all (the tests, between tests).
"""

from collections.abc import Callable

_copies: dict[str, Callable[[], None]] = {}


def register(name: str, forget: Callable[[], None]) -> None:
    _copies[name] = forget


def forget_all() -> None:
    for forget in _copies.values():
        forget()


def names() -> list[str]:
    return sorted(_copies)
