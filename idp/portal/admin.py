"""Operators publish 通知通告 and choose 热点服务 here (console → 系统管理)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idp.portal.models import Attachment, HotService, Notice, Publication, Question


class AttachmentForm(forms.ModelForm):
    """A PDF, checked by its content (header and trailer), not by its name."""

    upload = forms.FileField(label=gettext_lazy("PDF 文件"), required=False)

    class Meta:
        model = Attachment
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False  # the uploaded file's name when left empty

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload is None:
            if not self.instance.pk:
                raise forms.ValidationError(_("请选择 PDF 文件"))
            return data
        limit = settings.IDP_ADMIN_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(_("附件不能超过 %(size)s MB") % {"size": limit // (1024 * 1024)})
        content = upload.read()
        if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-2048:]:
            raise forms.ValidationError(_("附件须为完整的 PDF 文件"))
        self.instance.content, self.instance.size = content, len(content)
        if not data.get("name"):
            data["name"] = self.instance.name = upload.name[:200]
        return data


class AttachmentInline(admin.TabularInline):
    model = Attachment
    form = AttachmentForm
    extra = 1
    fields = ["name", "upload", "size"]
    readonly_fields = ["size"]


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "body"]
    inlines = [AttachmentInline]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "published_at", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["title", "body"]


@admin.register(HotService)
class HotServiceAdmin(admin.ModelAdmin):
    list_display = ["item", "sort_order"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["body", "item", "asked_at", "answered_at", "is_public"]
    list_filter = ["is_public"]
    search_fields = ["body", "answer"]
