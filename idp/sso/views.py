"""我的信息 → 登录设备: the person's signed-in browsers (their SSO sessions), each ended from here —
ending one signs that browser out and logs it out of every business system it entered."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idp.accounts import services as account_services
from idp.audit.log import record
from idp.audit.models import Event
from idp.core.http import client_ip
from idp.core.useragent import describe
from idp.sso import sessions


@login_required
def devices(request):
    current = sessions.current_sid(request)
    rows = []
    for session in sessions.open_sessions(request.user):
        entered = sorted({p.client.system.name for p in session.participants.all()})
        last = max([session.auth_time, *(p.created_at for p in session.participants.all())])
        rows.append({"sid": session.sid, "device": describe(session.user_agent), "ip": session.ip,
                     "since": session.auth_time, "last": last, "systems": entered, "current": session.sid == current})
    return render(request, "sso/devices.html", {"section": "profile", "devices": rows,
                                                "others": any(not row["current"] for row in rows)})


@login_required
@require_POST
def end_device(request):
    sid = request.POST.get("sid", "")
    if sid and sid == sessions.current_sid(request):
        account_services.log_out(request, ip=client_ip(request))
        messages.info(request, _("您已安全退出登录"))
        return redirect("login")
    if sessions.end_by_holder(request.user, sid):
        record(Event.SESSION_ENDED, account=request.user, actor=request.user, ip=client_ip(request), count=1)
        messages.success(request, _("已退出该设备上的登录"))
    return redirect("devices")


@login_required
@require_POST
def end_other_devices(request):
    current = sessions.current_sid(request)
    ended = sum(sessions.end_by_holder(request.user, s.sid) for s in sessions.open_sessions(request.user)
                if s.sid != current)
    record(Event.SESSION_ENDED, account=request.user, actor=request.user, ip=client_ip(request), count=ended)
    messages.success(request, _("已退出其他 %(count)s 个设备上的登录") % {"count": ended})
    return redirect("devices")
