"""What apps above accounts add to its pages, registered from their AppConfig.ready(): accounts
shows them without importing those apps (the layers run one way)."""

from collections.abc import Callable

# Each takes the signed-in account and returns context for 我的信息 (e.g. the grants it received).
profile_context: list[Callable[[object], dict]] = []
# Each takes (tab, next URL) and returns the login page's other ways in under that tab:
# [{"label": …, "url": …}] (e.g. 使用<upstream>登录).
login_choices: list[Callable[[str, str], list[dict]]] = []
# Each takes (request, next URL) just after a login and may return the answer `next` would give
# the browser — the authorization response a business system waits for — or None: the login
# then redirects to `next` as usual.
login_answers: list[Callable[[object, str], object | None]] = []
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


def answer_after_login(request, next_url: str):
    return next((answer for answer_for in login_answers if (answer := answer_for(request, next_url))), None)


def redirect_after_logout(request) -> str | None:
    return next((url for find in logout_redirects if (url := find(request))), None)
