"""我的评价 for people; the 好差评 statistics and the 差评 follow-up queue for operators."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idp.catalogue.models import SystemVisit
from idp.core.permissions import staff_required
from idp.ratings import services
from idp.ratings.models import FollowUp, Rating, Score


@login_required
def mine(request):
    """我的评价: every handled item, rated or waiting to be rated, with any reply to a 差评."""
    visits = (SystemVisit.objects.filter(account=request.user)
              .select_related("system", "item", "rating").order_by("-last_entered_at"))
    return render(request, "ratings/mine.html", {"section": "ratings", "visits": visits})


@login_required
def rate(request, visit_id):
    visit = SystemVisit.objects.filter(pk=visit_id, account=request.user).select_related("system", "item").first()
    if visit is None:
        raise Http404
    rating = Rating.objects.filter(visit=visit).first()
    if rating is not None and not rating.may_change:
        messages.info(request, _("评价已修改过一次,不能再修改"))
        return redirect("online-ratings")
    error = None
    if request.method == "POST":
        try:
            score = int(request.POST.get("score", ""))
        except ValueError:
            score = 0
        try:
            services.rate(account=request.user, visit_id=visit.pk, score=score, comment=request.POST.get("comment", ""))
        except services.RatingError as refused:
            error = str(refused)
        else:
            messages.success(request, _("感谢您的评价"))
            return redirect("online-ratings")
    return render(request, "ratings/rate.html", {
        "section": "ratings", "visit": visit, "rating": rating, "scores": Score.choices, "error": error,
        "chosen": request.POST.get("score") or (rating.score if rating else ""),
        "comment": request.POST.get("comment", rating.comment if rating else "")})


@staff_required
def overview(request):
    """好差评: statistics per item, the comments, and the 差评 an operator must answer."""
    open_items = Rating.objects.filter(follow_up=FollowUp.OPEN).select_related(
        "account", "visit__system", "visit__item").order_by("created_at")
    comments = Rating.objects.exclude(comment="").select_related("visit__system", "visit__item").order_by(
        "-updated_at")[:50]
    return render(request, "ratings/overview.html", {
        "section": "ratings", "statistics": services.statistics(), "open_items": open_items, "comments": comments})


@staff_required
def reply(request, pk):
    if request.method != "POST":
        return redirect("console-ratings")
    try:
        services.close_follow_up(rating_id=pk, operator=request.user, reply=request.POST.get("reply", ""))
    except services.RatingError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("已回复,用户可在“我的评价”中看到"))
    return redirect("console-ratings")
