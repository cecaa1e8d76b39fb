"""What apps above accounts add to its pages, registered from their AppConfig.ready(): accounts
shows them without importing those apps (the layers run one way)."""

from collections.abc import Callable

# Each takes the signed-in account and returns context for 我的信息 (e.g. the grants it received).
profile_context: list[Callable[[object], dict]] = []


def context_for_profile(account) -> dict:
    merged = {}
    for provide in profile_context:
        merged.update(provide(account))
    return merged
