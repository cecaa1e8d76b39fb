"""Rating a handled service, changing it once, and closing a 差评's follow-up with a reply."""

from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from idp.catalogue.models import SystemVisit
from idp.core.errors import Refused
from idp.ratings.models import BAD_SCORES, FollowUp, Rating, Score


class RatingError(Refused):
    pass


def rate(*, account, visit_id: int, score: int, comment: str = "") -> Rating:
    """One rating per handled item; a second call changes it, once. A 差评 opens a follow-up."""
    if score not in Score.values:
        raise RatingError(_("请选择评价等级"))
    comment = (comment or "").strip()[:500]
    with transaction.atomic():
        visit = SystemVisit.objects.select_for_update().filter(pk=visit_id, account=account).first()
        if visit is None:
            raise RatingError(_("只能评价您办理过的事项"))
        rating = Rating.objects.filter(visit=visit).first()
        if rating is None:
            rating = Rating(visit=visit, account=account)
        elif not rating.may_change:
            raise RatingError(_("评价只能修改一次"))
        else:
            rating.changes += 1
        rating.score, rating.comment = score, comment
        if score in BAD_SCORES:
            rating.follow_up, rating.reply, rating.replied_by, rating.replied_at = FollowUp.OPEN, "", None, None
        elif rating.follow_up == FollowUp.OPEN:
            rating.follow_up = FollowUp.NONE  # changed to a good rating: nothing left to follow up
        rating.save()
    return rating


def close_follow_up(*, rating_id: int, operator, reply: str) -> Rating:
    reply = (reply or "").strip()
    if not reply:
        raise RatingError(_("请填写给用户的回复"))
    with transaction.atomic():
        rating = Rating.objects.select_for_update().filter(pk=rating_id, follow_up=FollowUp.OPEN).first()
        if rating is None:
            raise RatingError(_("该差评已处理"))
        rating.follow_up, rating.reply = FollowUp.CLOSED, reply[:1000]
        rating.replied_by, rating.replied_at = operator, timezone.now()
        rating.save()
    return rating


def statistics():
    """Per business system and item: how many ratings of each score, the average, the 差评 share."""
    counts = {f"n{value}": Count("id", filter=Q(score=value)) for value in Score.values}
    return (Rating.objects.values("visit__system__name", "visit__item__name")
            .annotate(total=Count("id"), average=Avg("score"), **counts)
            .order_by("visit__system__name", "visit__item__name"))
