"""Operators manage business systems and service items here (console → 系统管理)."""

from django.contrib import admin
from django.db import models

from idp.catalogue.models import BusinessSystem, ServiceItem


class ServiceItemInline(admin.TabularInline):
    model = ServiceItem
    extra = 1
    fields = ["name", "user_kind", "entrance_path", "sort_order", "is_active"]


@admin.register(BusinessSystem)
class BusinessSystemAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "protocol", "requires_realname", "allow_natural", "allow_legal",
                    "delegable", "is_active"]
    list_filter = ["protocol", "delegable", "is_active"]
    search_fields = ["name", "code"]
    inlines = [ServiceItemInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["name", "system", "user_kind", "is_active", "sort_order"]
    list_filter = ["user_kind", "system", "is_active"]
    search_fields = ["name"]
