"""The portal of the manual's home page: 通知通告 and 热点服务, published by operators in 系统管理
(no code change to publish)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idp.catalogue.models import ServiceItem


class Published(models.Model):
    """What operators publish on a date: shown newest first once published and its time has come."""

    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    is_published = models.BooleanField(_("发布"), default=True)

    class Meta:
        abstract = True
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return self.title

    @classmethod
    def public(cls):
        return cls.objects.filter(is_published=True, published_at__lte=timezone.now())


class Notice(Published):
    """通知通告."""

    class Meta(Published.Meta):
        verbose_name = verbose_name_plural = _("通知通告")


class HotService(models.Model):
    """热点服务: a service item the operators put on the home page."""

    item = models.OneToOneField(ServiceItem, on_delete=models.CASCADE, verbose_name=_("服务事项"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = verbose_name_plural = _("热点服务")

    def __str__(self):
        return self.item.name


class Question(models.Model):
    """办事咨询: a signed-in user's question about a service item, answered by an operator; the
    operator may publish the pair for everyone."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="questions")
    item = models.ForeignKey(ServiceItem, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("服务事项"))
    body = models.TextField(_("咨询内容"), max_length=1000)
    asked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answer = models.TextField(_("答复"), blank=True, max_length=2000)
    answered_by = models.ForeignKey("accounts.Account", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    is_public = models.BooleanField(_("公开"), default=False)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = verbose_name_plural = _("办事咨询")

    def __str__(self):
        return self.body[:40]


class Publication(Published):
    """结果公示: a result list (e.g. an approval batch), with PDF attachments."""

    body = models.TextField(_("正文"), blank=True)

    class Meta(Published.Meta):
        verbose_name = verbose_name_plural = _("结果公示")


class Attachment(models.Model):
    """A PDF of a publication, kept in the database so every node serves it."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("内容"))
    size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("附件")

    def __str__(self):
        return self.name
