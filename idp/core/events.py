"""Domain events: how a lower layer tells the layers above it that something happened.

The apps of idp/ are layered and import only downwards (pyproject.toml, [tool.importlinter]):
accounts cannot call single sign-on, which sits above it. So when a service of a lower layer
changes something a higher layer must act on — a password is reset, an account is disabled, a
grant ends — the service publishes an event, and the higher apps' subscribers act on it.

- Each event is a small frozen dataclass in the publishing app's `events.py`, and is published
  by the service that causes it — never by a view, so every caller has the same consequences.
- Each subscribing app subscribes in its AppConfig.ready(), one `subscribe` call per reaction.
  `subscriptions()` lists them all; docs/architecture.md shows that list and a test checks that
  the two agree, so what happens on an event can be read in one place.
- Subscribers run at once, in the order they subscribed, inside the publisher's transaction: a
  failing one fails the whole change, and nothing is half done. What is slow or may fail (SMS,
  registry checks, logout deliveries) the subscriber queues (core/jobs.py).
"""

from collections import defaultdict
from collections.abc import Callable

_subscribers: dict[type, list[Callable]] = defaultdict(list)


def subscribe(event_type: type, handler: Callable) -> None:
    """`handler(event)` runs whenever an event of `event_type` is published (once per handler)."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def publish(event) -> None:
    for handler in _subscribers.get(type(event), ()):
        handler(event)


def subscriptions() -> dict[str, list[str]]:
    """{event name: [handler, …]} in the order they run — the table docs/architecture.md shows."""
    return {f"{kind.__module__}.{kind.__qualname__}": [f"{h.__module__}.{h.__qualname__}" for h in handlers]
            for kind, handlers in sorted(_subscribers.items(), key=lambda item: item[0].__qualname__)}
