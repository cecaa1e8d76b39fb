from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from idp.catalogue.models import ServiceItem
from idp.core import ratelimit
from idp.core.permissions import staff_required
from idp.core.replica import tolerates_lag
from idp.portal import consulting
from idp.portal.models import Attachment, HotService, Notice, Publication, Question
from idp.portal.search import QUERY_LENGTH, site_search

NOTICES_ON_HOME, NOTICES_PER_PAGE = 5, 10


@tolerates_lag
def home(request):
    """首页: 通知通告 (the latest, and 更多), 热点服务, and a way to every first step."""
    hot = HotService.objects.filter(item__is_active=True, item__system__is_active=True).select_related("item")
    return render(request, "portal/home.html", {"notices": Notice.public()[:NOTICES_ON_HOME], "hot_services": hot})


@tolerates_lag
def notices(request):
    page = Paginator(Notice.public(), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/notices.html", {"page": page})


@tolerates_lag
def notice(request, pk):
    return render(request, "portal/notice.html", {"notice": get_object_or_404(Notice.public(), pk=pk)})


def consult(request):
    """办事咨询: the published questions and answers, and the way to ask one."""
    page = Paginator(consulting.published(), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/consult.html", {"page": page})


@login_required
def my_questions(request):
    """在线办事 - 我的咨询: ask about a service item; the answers appear here."""
    error, field = None, ""
    if request.method == "POST":
        try:
            consulting.ask(account=request.user, item_id=request.POST.get("item") or None,
                           body=request.POST.get("body", ""))
        except consulting.ConsultError as refused:
            error, field = str(refused), refused.field
        else:
            messages.success(request, _("咨询已提交,工作人员答复后将在这里显示"))
            return redirect("my-questions")
    return render(request, "portal/my_questions.html", {
        "section": "questions", "questions": Question.objects.filter(account=request.user).select_related("item"),
        "items": ServiceItem.objects.filter(is_active=True).order_by("name"), "error": error, "field": field,
        "typed": request.POST})


@staff_required
def console_questions(request):
    """Operators answer questions here and choose which to publish."""
    if request.method == "POST":
        try:
            consulting.answer(question_id=int(request.POST.get("question", 0)), operator=request.user,
                              text=request.POST.get("answer", ""), publish=request.POST.get("publish") == "1")
        except consulting.ConsultError as refused:
            messages.error(request, str(refused))
        except (Question.DoesNotExist, ValueError):
            messages.error(request, _("没有这条咨询"))
        else:
            messages.success(request, _("已答复"))
        return redirect("console-questions")
    waiting = Question.objects.filter(answer="").select_related("account", "item").order_by("asked_at")
    answered = Question.objects.exclude(answer="").select_related("item")[:30]
    return render(request, "portal/console_questions.html", {"section": "questions", "waiting": waiting,
                                                             "answered": answered})


@tolerates_lag
def results(request):
    """结果公示: the published result lists, newest first."""
    page = Paginator(Publication.public(), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/results.html", {"page": page})


@tolerates_lag
def result(request, pk):
    publication = get_object_or_404(Publication.public(), pk=pk)
    return render(request, "portal/result.html", {"publication": publication,
                                                  "attachments": publication.attachments.defer("content")})


def attachment(request, pk):
    item = get_object_or_404(Attachment.objects.filter(publication__in=Publication.public()), pk=pk)
    response = HttpResponse(bytes(item.content), content_type="application/pdf")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@tolerates_lag
def search(request):
    query = request.GET.get("q", "").strip()[:QUERY_LENGTH]
    if query and not ratelimit.search_allowed(request):
        messages.error(request, _("搜索过于频繁,请稍后再试"))
        return render(request, "portal/search.html", {"query": query, "found": {}, "total": 0}, status=429)
    found = site_search(query)
    return render(request, "portal/search.html", {"query": query, "found": found,
                                                  "total": sum(len(hits) for hits in found.values())})
