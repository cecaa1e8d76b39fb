"""系统管理: who may open it, and the job queue shown read-only: schedules are written by code (core/jobs.py), and a
job is never added, changed, resubmitted or deleted from a page — a schedule row naming any
importable function was a way to run it on the workers."""

from django.contrib import admin
from django_q import admin as queue_admin
from django_q.models import Failure, OrmQ, Schedule, Success

from idp.core.permissions import second_factor_passed

ADMIN_SITE_ROLES = ("system", "security")  # accounts.roles: 系统管理员, 安全管理员 (the auditor reads the console)


def _staff_with_second_factor(request) -> bool:
    """系统管理 wants what the console wants — a staff account whose login passed the second factor —
    and one of the two administrator roles that work here (or a superuser, in development)."""
    user = request.user
    return (user.is_active and user.is_staff and second_factor_passed(request)
            and (user.is_superuser or user.admin_role in ADMIN_SITE_ROLES))


admin.site.has_permission = _staff_with_second_factor


class ReadOnly:
    actions = None

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for model, shown_by in [(Schedule, queue_admin.ScheduleAdmin), (Success, queue_admin.TaskAdmin),
                        (Failure, queue_admin.FailAdmin), (OrmQ, queue_admin.QueueAdmin)]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(shown_by.__name__, (ReadOnly, shown_by), {}))
