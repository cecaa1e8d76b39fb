"""Who may open a page: an anonymous visitor is sent to the login page; a signed-in user
without the right is told so (403, 无权限访问), never shown the login form again.

Staff pages (the console, 系统管理) also want this session's second factor: the login marks the
session when both factors passed (SECOND_FACTOR_KEY). A session signed in before its account
became staff has no mark, and is sent to log in again — with the second factor this time."""

import functools
import time

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

STAFF_ONLY = _("审核控制台只对审核人员开放。如需审核权限,请联系平台管理员。")
SECOND_FACTOR_KEY = "second_factor_at"  # in the session: when its login passed the second factor


def mark_second_factor(request) -> None:
    request.session[SECOND_FACTOR_KEY] = time.time()


def second_factor_passed(request) -> bool:
    return bool(request.session.get(SECOND_FACTOR_KEY))


def log_in_again_with_second_factor(request):
    messages.info(request, _("请重新登录并完成两步验证"))
    return redirect_to_login(request.get_full_path(), "/login/")


def staff_required(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/login/")
        if not request.user.is_staff:
            raise PermissionDenied(STAFF_ONLY)
        if not second_factor_passed(request):
            return log_in_again_with_second_factor(request)
        return view(request, *args, **kwargs)

    return wrapped
