"""The review console (SPEC 8): manual-verification queues, decisions, the audit log.

Reviewers are staff accounts. Views are thin: they read through the owning apps' selectors and
decide through their services.
"""

from datetime import datetime, time
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from idp import review as review_workflow
from idp.accounts import roles
from idp.accounts.models import AccountKind
from idp.audit import chain as audit_chain
from idp.audit import selectors as audit_selectors
from idp.audit.log import record
from idp.audit.models import Event
from idp.core.http import client_ip
from idp.core.permissions import staff_required
from idp.core.replica import tolerates_lag
from idp.legacy import selectors as legacy_selectors
from idp.provisioning import webhooks as webhook_deliveries
from idp.realname import selectors as realname_selectors
from idp.realname import services, uploads
from idp.recovery import selectors as recovery_selectors
from idp.recovery import services as recovery
from idp.recovery.models import AppealStatus

QUEUES = {"natural": (gettext_lazy("自然人人工认证"), AccountKind.NATURAL),
          "legal": (gettext_lazy("法人人工认证"), AccountKind.LEGAL)}
APPEAL_QUEUES = {"natural": gettext_lazy("自然人申诉"), "legal": gettext_lazy("单位法人用户申诉")}


def _found(item):
    if item is None:
        raise Http404
    return item


@staff_required
@tolerates_lag
def dashboard(request):
    counts = realname_selectors.pending_counts_by_kind()
    queues = [{"url": reverse("console-queue", args=[key]), "title": _("%(queue)s待审核") % {"queue": title},
               "count": counts.get(kind, 0)}
              for key, (title, kind) in QUEUES.items()]
    appeal_counts = recovery_selectors.pending_counts_by_kind()
    queues += [{"url": reverse("console-appeals", args=[key]), "title": _("%(queue)s待审核") % {"queue": title},
                "count": appeal_counts.get(key, 0)} for key, title in APPEAL_QUEUES.items()]
    return render(request, "console/dashboard.html", {"queues": queues, "section": "dashboard"})


@staff_required
@tolerates_lag
def queue(request, kind):
    if kind not in QUEUES:
        return redirect("console")
    title, account_kind = QUEUES[kind]
    page = Paginator(realname_selectors.queue(account_kind), 50).get_page(request.GET.get("page"))
    return render(request, "console/queue.html", {"title": title, "kind": kind, "page": page})


@staff_required
def review(request, pk):
    submission = _found(realname_selectors.submission(pk))
    account = submission.account
    history = realname_selectors.earlier_submissions(submission)
    mine = services.open_for_review(submission, request.user)
    return render(request, "console/review.html", {
        "submission": submission, "account": account, "profile": account.profile, "mine": mine,
        "files": submission.files.all() if mine else [], "history": history,
        "registry_answer": services.last_registry_answer(account), "holder": services.document_holder(account),
    })


@staff_required
@require_POST
def decide(request, pk):
    decision = request.POST.get("decision")
    try:
        if decision == "approve":
            services.approve(submission_id=pk, reviewer=request.user, ip=client_ip(request))
            messages.success(request, _("已审核通过,已短信通知用户"))
        elif decision == "reject":
            services.reject(submission_id=pk, reviewer=request.user,
                            reason=request.POST.get("reason", ""), ip=client_ip(request))
            messages.success(request, _("已驳回,已短信通知用户"))
        else:
            messages.error(request, _("请选择通过或不通过"))
            return redirect("console-review", pk=pk)
    except services.NoSuchSubmission:
        return redirect("console")
    except services.DocumentTaken:
        messages.error(request, _("该证件已在另一账号上完成实名认证,不能审核通过;"
                                "请选择审核不通过,并告知用户登录已认证的账号或申诉找回"))
        return redirect("console-review", pk=pk)
    except services.VerificationError as error:
        messages.error(request, str(error))
        return redirect("console-review", pk=pk)
    return redirect("console-queue", kind=realname_selectors.submission(pk).account.kind)


@staff_required
@tolerates_lag
def appeals(request, kind):
    if kind not in APPEAL_QUEUES:
        return redirect("console")
    page = Paginator(recovery_selectors.queue(kind), 50).get_page(request.GET.get("page"))
    return render(request, "console/appeals.html", {"title": APPEAL_QUEUES[kind], "kind": kind, "page": page})


@staff_required
def appeal(request, pk):
    item = _found(recovery_selectors.appeal(pk))
    mine = recovery.open_for_review(item, request.user)
    return render(request, "console/appeal.html", {
        "appeal": item, "files": item.files.all() if mine else [], "mine": mine,
        "candidates": recovery.candidates(item),
        "kind_title": APPEAL_QUEUES[item.kind]})


@staff_required
@require_POST
def appeal_decide(request, pk):
    item = _found(recovery_selectors.appeal(pk))
    try:
        if request.POST.get("decision") == "approve":
            decided = recovery.approve_appeal(appeal_id=pk, account_id=int(request.POST.get("account") or 0),
                                              reviewer=request.user, ip=client_ip(request))
            if decided.status == AppealStatus.PENDING:
                messages.success(request, _("已初审通过。该申诉将把账号改到新的手机号,需另一位审核员复核后生效"))
            else:
                messages.success(request, _("申诉已通过,登录名和设置密码的链接已短信发送给申诉人"))
        elif request.POST.get("decision") == "reject":
            recovery.reject_appeal(appeal_id=pk, reason=request.POST.get("reason", ""), reviewer=request.user,
                                   ip=client_ip(request))
            messages.success(request, _("申诉已驳回,已短信通知申诉人"))
        else:
            messages.error(request, _("请选择通过或不通过"))
            return redirect("console-appeal", pk=pk)
    except (ValueError, recovery.RecoveryError) as error:
        messages.error(request, str(error) if isinstance(error, recovery.RecoveryError) else _("请选择账号"))
        return redirect("console-appeal", pk=pk)
    return redirect("console-appeals", kind=item.kind)


@staff_required
def appeal_file(request, file_id):
    """An appeal's document image: for the reviewer who has the appeal open or decided it
    (appellants are not logged in); every view is in the audit log."""
    item = _found(recovery_selectors.appeal_file(file_id))
    if not review_workflow.may_see_documents(item.appeal, request.user):
        raise Http404
    record(Event.EVIDENCE_VIEWED, actor=request.user, ip=client_ip(request), appeal=item.appeal.reference,
           side=item.side)
    return uploads.private_file_response(item.storage_name, item.content_type)


@staff_required
@tolerates_lag
def legacy(request):
    """Migration runs with their totals and errors, and a search by legacy id, USCC or phone."""
    query = request.GET.get("q", "").strip()[:64]
    found = legacy_selectors.find_moved(query) if query else []
    return render(request, "console/legacy.html", {
        "runs": legacy_selectors.recent_runs(), "query": query, "found": found, "section": "legacy"})


@staff_required
def webhooks(request):
    """Webhook deliveries given up (dead letters): which system, which event, why; 重新投递 offers one
    again. The bodies are not shown (they name people)."""
    page = Paginator(webhook_deliveries.dead_letters(), 50).get_page(request.GET.get("page"))
    return render(request, "console/webhooks.html", {"page": page, "section": "webhooks",
                                                     "counts": webhook_deliveries.undelivered()})


@staff_required
@require_POST
def webhook_retry(request, pk):
    if webhook_deliveries.retry(pk):
        record(Event.ADMIN_ACTION, actor=request.user, ip=client_ip(request), action="webhook_retry",
               object=f"provisioning.webhookdelivery:{pk}")
        messages.success(request, _("已重新投递"))
    return redirect("console-webhooks")


@staff_required
def legacy_run(request, pk):
    run = _found(legacy_selectors.run(pk))
    page = Paginator(run.errors.all(), 100).get_page(request.GET.get("page"))
    return render(request, "console/legacy_run.html", {"run": run, "page": page, "section": "legacy"})


def _parse_date(value: str, end: bool):
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@staff_required
@tolerates_lag
def audit(request):
    """The audit log, searchable by account (login name), event type and time range."""
    query = {key: request.GET.get(key, "").strip() for key in ("account", "event", "since", "until")}
    visible = roles.visible_events(request.user)
    choices = [(value, label) for value, label in Event.choices if visible is None or value in visible]
    errors, moments = [], {}
    if query["event"] and query["event"] not in dict(choices):
        errors.append(_("未知的事件类型"))
    for key, end in (("since", False), ("until", True)):
        if query[key]:
            moments[key] = _parse_date(query[key], end)
            if moments[key] is None:
                errors.append(_("日期格式应为 年-月-日"))
    entries = audit_selectors.search(login_name=query["account"],
                                     event=query["event"] if query["event"] in dict(choices) else "",
                                     since=moments.get("since"), until=moments.get("until"), events=visible)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    params = urlencode({key: value for key, value in query.items() if value})
    return render(request, "console/audit.html", {
        "page": page, "query": query, "events": choices, "errors": errors, "params": params,
        "chain": audit_chain.state(),
    })
