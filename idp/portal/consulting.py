"""办事咨询: asking, answering and publishing."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from idp.catalogue.models import ServiceItem
from idp.core import ratelimit
from idp.core.errors import Refused
from idp.portal.models import Question


class ConsultError(Refused):
    pass


def ask(*, account, item_id, body: str) -> Question:
    body = (body or "").strip()
    if not body:
        raise ConsultError(_("请填写咨询内容"), "body")
    if len(body) > 1000:
        raise ConsultError(_("咨询内容不能超过 1000 字"), "body")
    if not ratelimit.allow("question", str(account.pk), limit=settings.IDP_QUESTIONS_PER_HOUR, window=3600):
        raise ConsultError(_("提问过于频繁,请一小时后再提交"), "body")
    item = None
    if item_id:
        item = ServiceItem.objects.filter(pk=int(item_id), is_active=True).first() if str(item_id).isdigit() else None
        if item is None:
            raise ConsultError(_("请选择服务事项"), "item")
    return Question.objects.create(account=account, item=item, body=body)


def answer(*, question_id: int, operator, text: str, publish: bool) -> Question:
    text = (text or "").strip()
    if not text:
        raise ConsultError(_("请填写答复内容"), "answer")
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        question.answer, question.answered_by, question.answered_at = text[:2000], operator, timezone.now()
        question.is_public = publish
        question.save()
    return question


def published():
    return Question.objects.filter(is_public=True).exclude(answer="").select_related("item")
