"""The review console (SPEC 8): manual-verification queues, decisions, the audit log.

Reviewers are staff accounts. Views are thin: decisions go through idp.realname.services.
"""

from datetime import datetime, time
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from idp.accounts.models import AccountKind
from idp.audit.models import AuditEntry, Event
from idp.core.http import client_ip
from idp.realname import services
from idp.realname.models import Submission, SubmissionStatus

QUEUES = {"natural": ("自然人人工认证", AccountKind.NATURAL),
          "legal": ("法人人工认证", AccountKind.LEGAL)}


def _pending():
    return Submission.objects.filter(status=SubmissionStatus.PENDING)


@staff_member_required(login_url="/login/")
def dashboard(request):
    counts = dict(_pending().values_list("account__kind").annotate(n=Count("id")))
    queues = [{"key": key, "title": title, "count": counts.get(kind, 0)}
              for key, (title, kind) in QUEUES.items()]
    return render(request, "console/dashboard.html", {"queues": queues})


@staff_member_required(login_url="/login/")
def queue(request, kind):
    if kind not in QUEUES:
        return redirect("console")
    title, account_kind = QUEUES[kind]
    items = (_pending().filter(account__kind=account_kind)
             .select_related("account", "account__person", "account__organisation")
             .order_by("submitted_at", "id"))
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "console/queue.html", {"title": title, "kind": kind, "page": page})


@staff_member_required(login_url="/login/")
def review(request, pk):
    submission = get_object_or_404(
        Submission.objects.select_related("account", "decided_by").prefetch_related("files"), pk=pk)
    account = submission.account
    history = (Submission.objects.filter(account=account).exclude(pk=pk)
               .select_related("decided_by").order_by("-submitted_at")[:10])
    return render(request, "console/review.html", {
        "submission": submission, "account": account, "profile": account.profile,
        "files": submission.files.all(), "history": history,
    })


@staff_member_required(login_url="/login/")
@require_POST
def decide(request, pk):
    decision = request.POST.get("decision")
    try:
        if decision == "approve":
            services.approve(submission_id=pk, reviewer=request.user, ip=client_ip(request))
            messages.success(request, "已审核通过,已短信通知用户")
        elif decision == "reject":
            services.reject(submission_id=pk, reviewer=request.user,
                            reason=request.POST.get("reason", ""), ip=client_ip(request))
            messages.success(request, "已驳回,已短信通知用户")
        else:
            messages.error(request, "请选择通过或不通过")
            return redirect("console-review", pk=pk)
    except Submission.DoesNotExist:
        return redirect("console")
    except services.VerificationError as error:
        messages.error(request, str(error))
        return redirect("console-review", pk=pk)
    submission = Submission.objects.select_related("account").get(pk=pk)
    return redirect("console-queue", kind=submission.account.kind)


def _parse_date(value: str, end: bool):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@staff_member_required(login_url="/login/")
def audit(request):
    """The audit log, searchable by account (login name), event type and time range."""
    entries = AuditEntry.objects.select_related("account", "actor")
    query = {key: request.GET.get(key, "").strip() for key in ("account", "event", "since", "until")}
    errors = []
    if query["account"]:
        name = query["account"].lower()
        entries = entries.filter(Q(login_name__iexact=name) | Q(account__login_name__lower=name)
                                 | Q(actor__login_name__lower=name))
    if query["event"]:
        if query["event"] in Event.values:
            entries = entries.filter(event=query["event"])
        else:
            errors.append("未知的事件类型")
    for key, end in (("since", False), ("until", True)):
        if query[key]:
            moment = _parse_date(query[key], end)
            if moment is None:
                errors.append("日期格式应为 年-月-日")
            else:
                entries = entries.filter(**{"at__gte" if not end else "at__lte": moment})
    page = Paginator(entries.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    params = urlencode({key: value for key, value in query.items() if value})
    return render(request, "console/audit.html", {
        "page": page, "query": query, "events": Event.choices, "errors": errors, "params": params,
    })
