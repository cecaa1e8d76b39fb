"""What apps above accounts add to its pages, registered from their AppConfig.ready(): accounts
shows them without importing those apps (the layers run one way)."""

from collections.abc import Callable

# Each takes the signed-in account and returns context for 我的信息 (e.g. the grants it received).
profile_context: list[Callable[[object], dict]] = []
# Each takes (tab, next URL) and returns the login page's other ways in under that tab:
# [{"label": …, "url": …}] (e.g. 使用<upstream>登录).
login_choices: list[Callable[[str, str], list[dict]]] = []
# Each takes the request before the logout and may return where the browser goes afterwards
# (e.g. the upstream provider's end-session address, so that it signs out there too).
logout_redirects: list[Callable[[object], str | None]] = []


def context_for_profile(account) -> dict:
    merged = {}
    for provide in profile_context:
        merged.update(provide(account))
    return merged


def choices_for_login(tab: str, next_url: str) -> list[dict]:
    return [choice for provide in login_choices for choice in provide(tab, next_url)]


def redirect_after_logout(request) -> str | None:
    return next((url for find in logout_redirects if (url := find(request))), None)
