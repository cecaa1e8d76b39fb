"""我的评价: the national 好差评 scheme. A person rates each handled service (a 我的事项 row) once,
may change the rating once, and a 差评 (the two lowest scores) opens a follow-up that an operator
must close with a reply the person sees."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idp.catalogue.models import SystemVisit


class Score(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_SCORES = {Score.DISSATISFIED, Score.VERY_DISSATISFIED}  # 差评


class FollowUp(models.TextChoices):
    NONE = "", "—"
    OPEN = "open", _("待回复")
    CLOSED = "closed", _("已回复")


class Rating(models.Model):
    visit = models.OneToOneField(SystemVisit, on_delete=models.CASCADE, related_name="rating")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField(_("评价"), choices=Score.choices)
    comment = models.TextField(_("评价内容"), blank=True, max_length=500)
    changes = models.PositiveSmallIntegerField(default=0)  # a rating may be changed once
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    follow_up = models.CharField(_("差评处理"), max_length=8, choices=FollowUp.choices, default=FollowUp.NONE,
                                 blank=True, db_index=True)
    reply = models.TextField(_("处理回复"), blank=True, max_length=1000)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    replied_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.get_score_display()} · {self.visit}"

    @property
    def may_change(self) -> bool:
        return self.changes < 1
