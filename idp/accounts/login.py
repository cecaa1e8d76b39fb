"""Login with throttling and lockout (SPEC 1).

Counters are keyed by the login name as typed (lower-cased), whether or not an account
has it, so neither the slow-down nor the lock tells an attacker that a name exists.
Every failure, wrong tab included, is the one message 登录名或密码错误.
"""

from django.conf import settings
from django.contrib.auth import authenticate

from idp.accounts.models import Account
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import ratelimit

GENERIC_ERROR = "登录名或密码错误"


class LoginRefused(Exception):
    """str() is the message to show."""


def _name_key(login_name: str) -> str:
    return login_name.strip().lower()


def check_not_locked(*, login_name: str, ip: str) -> None:
    """Raise LoginRefused while the name or the IP is locked or cooling down."""
    name = _name_key(login_name)
    lock, ip_lock, cooldown = ratelimit.remaining_many(
        [("login-lock", name), ("login-ip-lock", ip), ("login-cooldown", name)])
    if wait := max(lock, ip_lock):
        minutes = (wait + 59) // 60
        raise LoginRefused(f"登录失败次数过多,已暂时锁定,请 {minutes} 分钟后再试")
    if cooldown:
        raise LoginRefused(f"登录尝试过于频繁,请 {cooldown} 秒后再试")


def record_failure(*, login_name: str, ip: str) -> bool:
    """Count a failure; True when it locked the name or the IP."""
    name = _name_key(login_name)
    window = settings.IDP_LOGIN_LOCK_SECONDS
    failures = ratelimit.hit("login-fail", name, window=window)
    ip_failures = ratelimit.hit("login-ip-fail", ip, window=window)
    locked = False
    if failures >= settings.IDP_LOGIN_LOCK_FAILURES:
        ratelimit.set_until("login-lock", name, window)
        ratelimit.reset("login-fail", name)
        locked = True
    elif failures >= settings.IDP_LOGIN_SLOWDOWN_AFTER:
        extra = failures - settings.IDP_LOGIN_SLOWDOWN_AFTER + 1
        ratelimit.set_until("login-cooldown", name, extra * settings.IDP_LOGIN_SLOWDOWN_SECONDS)
    if ip_failures >= settings.IDP_LOGIN_IP_LOCK_FAILURES:
        ratelimit.set_until("login-ip-lock", ip, window)
        ratelimit.reset("login-ip-fail", ip)
        locked = True
    return locked


def authenticate_at_tab(request, *, kind: str, login_name: str, password: str, ip: str) -> Account:
    """The account, if the name and password match an active account of the tab's kind."""
    try:
        check_not_locked(login_name=login_name, ip=ip)
    except LoginRefused as refused:
        record(Event.LOGIN_FAILED, ip=ip, login_name=login_name, tab=kind, reason="locked")
        raise refused
    account = authenticate(request, login_name=login_name.strip(), password=password)
    if account is None or account.kind != kind:
        reason = "wrong_tab" if account is not None else "bad_credentials"
        # The entry names the account only when the password was right (wrong tab), so the
        # log does not tie guesses to accounts they were not meant for.
        record(Event.LOGIN_FAILED, account=account, ip=ip, login_name=login_name, tab=kind,
               reason=reason)
        if record_failure(login_name=login_name, ip=ip):
            record(Event.LOGIN_LOCKED, ip=ip, login_name=login_name)
        raise LoginRefused(GENERIC_ERROR)
    ratelimit.reset("login-fail", _name_key(login_name))
    record(Event.LOGIN, account=account, actor=account, ip=ip, tab=kind)
    return account
