"""Login with throttling and lockout (SPEC 1).

Counters are keyed by the login name as typed (lower-cased), whether or not an account
has it, so neither the slow-down nor the lock tells an attacker that a name exists.
Every failure, wrong tab included, is the one message 登录名或密码错误.
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from idp.accounts.models import Account
from idp.audit.log import record
from idp.audit.models import Event
from idp.core import ratelimit
from idp.core.errors import Refused

GENERIC_ERROR = _("登录名或密码错误")


class LoginRefused(Refused):
    """`locked` when a lock (not the password) refused it."""

    def __init__(self, message: str, *, locked: bool = False):
        super().__init__(message, code="locked" if locked else "refused")
        self.locked = locked


def _name_key(login_name: str) -> str:
    return login_name.strip().lower()


def _counted(login_name: str, device: str | None) -> tuple[str, str]:
    """Whose failures and locks: the login name's — or, from a browser where that name logged
    in before (accounts.devices), that device's, so a lock others caused does not shut out
    the owner."""
    return ("device", device) if device else ("name", _name_key(login_name))


def check_not_locked(*, login_name: str, ip: str, device: str | None = None) -> bool:
    """Raise LoginRefused while the name (or trusted device) or the IP is locked or cooling down;
    else whether failures are being counted against it (read in the same round trip)."""
    scope, ident = _counted(login_name, device)
    lock, ip_lock, cooldown, failures = ratelimit.remaining_many(
        [(f"login-{scope}-lock", ident), ("login-ip-lock", ip), (f"login-{scope}-cooldown", ident)],
        counts=[(f"login-{scope}-fail", ident)])
    if wait := max(lock, ip_lock):
        minutes = (wait + 59) // 60
        raise LoginRefused(gettext("登录失败次数过多,已暂时锁定,请 %(minutes)s 分钟后再试,或通过“忘记密码”重置密码")
                           % {"minutes": minutes}, locked=True)
    if cooldown:
        raise LoginRefused(gettext("登录尝试过于频繁,请 %(seconds)s 秒后再试") % {"seconds": cooldown})
    return failures > 0


def lift_lock(login_name: str) -> None:
    """The owner proved who they are (a password reset): the name's lock, cool-down and failure
    count end now — the lock message sends people to the reset, which must let them in. Locks
    of an address and of other browsers stay."""
    ident = _name_key(login_name)
    for scope in ("login-name-lock", "login-name-cooldown", "login-name-fail"):
        ratelimit.reset(scope, ident)


def record_failure(*, login_name: str, ip: str, device: str | None = None) -> bool:
    """Count a failure; True when it locked the name (or trusted device) or the IP."""
    scope, ident = _counted(login_name, device)
    window = settings.IDP_LOGIN_LOCK_SECONDS
    failures = ratelimit.hit(f"login-{scope}-fail", ident, window=window)
    ip_failures = ratelimit.hit("login-ip-fail", ip, window=window)
    locked = False
    if failures >= settings.IDP_LOGIN_LOCK_FAILURES:
        ratelimit.set_until(f"login-{scope}-lock", ident, window)
        ratelimit.reset(f"login-{scope}-fail", ident)
        locked = True
    elif failures >= settings.IDP_LOGIN_SLOWDOWN_AFTER:
        extra = failures - settings.IDP_LOGIN_SLOWDOWN_AFTER + 1
        ratelimit.set_until(f"login-{scope}-cooldown", ident, extra * settings.IDP_LOGIN_SLOWDOWN_SECONDS)
    if ip_failures >= settings.IDP_LOGIN_IP_LOCK_FAILURES:
        ratelimit.set_until("login-ip-lock", ip, window)
        ratelimit.reset("login-ip-fail", ip)
        locked = True
    return locked


def _agent(request) -> str:
    """The browser's User-Agent, for 登录记录 (what the person will recognise it by)."""
    return request.META.get("HTTP_USER_AGENT", "")[:200]


def authenticate_at_tab(request, *, kind: str, login_name: str, password: str, ip: str,
                        device: str | None = None) -> Account:
    """The account, if the name and password match an active account of the tab's kind.
    `device`: accounts.devices.trusted_device() for this name, if the browser has one."""
    try:
        failures_counted = check_not_locked(login_name=login_name, ip=ip, device=device)
    except LoginRefused as refused:
        record(Event.LOGIN_FAILED, ip=ip, login_name=login_name, tab=kind, reason="locked", agent=_agent(request))
        raise refused
    account = authenticate(request, login_name=login_name.strip(), password=password)
    if account is None or account.kind != kind:
        reason = "wrong_tab" if account is not None else "bad_credentials"
        # The entry names the account only when the password was right (wrong tab), so the
        # log does not tie guesses to accounts they were not meant for.
        record(Event.LOGIN_FAILED, account=account, ip=ip, login_name=login_name, tab=kind,
               reason=reason, agent=_agent(request))
        if record_failure(login_name=login_name, ip=ip, device=device):
            record(Event.LOGIN_LOCKED, ip=ip, login_name=login_name)
        raise LoginRefused(GENERIC_ERROR)
    if failures_counted:
        scope, ident = _counted(login_name, device)
        ratelimit.reset(f"login-{scope}-fail", ident)
    record(Event.LOGIN, account=account, actor=account, ip=ip, tab=kind, method="password", agent=_agent(request))
    return account
