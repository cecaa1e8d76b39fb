"""Who may open a page: an anonymous visitor is sent to the login page; a signed-in user
without the right is told so (403, 无权限访问), never shown the login form again."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

STAFF_ONLY = _("审核控制台只对审核人员开放。如需审核权限,请联系平台管理员。")


def staff_required(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/login/")
        if not request.user.is_staff:
            raise PermissionDenied(STAFF_ONLY)
        return view(request, *args, **kwargs)

    return wrapped
