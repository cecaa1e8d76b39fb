"""Operators publish 通知通告 and choose 热点服务 here (console → 系统管理)."""

from django.contrib import admin

from idp.portal.models import HotService, Notice, Question


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
