"""等保 2.0 (GB/T 22239-2019 8.1.4.1 b): a signed-in browser is signed out after a while without
a request (IDP_SESSION_IDLE_MINUTES; staff IDP_STAFF_SESSION_IDLE_MINUTES, 30 by default) and
after IDP_SESSION_MAX_HOURS whatever it does — on every page, the console and 系统管理 included.

Only this browser's platform session ends: the business systems it signed on to keep theirs
(their refresh tokens go on until the SSO session ends by a logout, a password change or reset),
since a person working in a business system is idle here without being away."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.utils.translation import gettext as _

from idp.audit.log import record
from idp.audit.models import Event
from idp.core.http import client_ip

LOGIN_AT_KEY = "login_at"  # when this browser's login began (services.log_in)
SEEN_AT_KEY = "seen_at"  # its last request, written at most once a minute
SEEN_WRITE_SECONDS = 60


def expired(request, now: float) -> str | None:
    """Why this signed-in session is over ("idle" or "lifetime"), or None."""
    started, seen = request.session.get(LOGIN_AT_KEY), request.session.get(SEEN_AT_KEY)
    if not isinstance(started, int | float) or not isinstance(seen, int | float):
        return None
    if now - started > settings.IDP_SESSION_MAX_HOURS * 3600:
        return "lifetime"
    idle = settings.IDP_STAFF_SESSION_IDLE_MINUTES if request.user.is_staff else settings.IDP_SESSION_IDLE_MINUTES
    return "idle" if now - seen > idle * 60 else None


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            now = time.time()
            if reason := expired(request, now):
                record(Event.LOGOUT, account=request.user, actor=request.user, ip=client_ip(request), via=reason)
                logout(request)
                messages.info(request, _("由于长时间未操作,您已安全退出,请重新登录") if reason == "idle"
                              else _("登录时间已达上限,请重新登录"))
            else:
                request.session.setdefault(LOGIN_AT_KEY, now)  # a login from before these limits
                if now - request.session.get(SEEN_AT_KEY, 0) > SEEN_WRITE_SECONDS:
                    request.session[SEEN_AT_KEY] = now
        return self.get_response(request)
