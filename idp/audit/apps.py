from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "idp.audit"
    label = "audit"
    verbose_name = _("审计日志")

    def ready(self):
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from idp.audit import export  # noqa: F401  its system check
        from idp.core import jobs

        jobs.every(1, "idp.audit.export.export_job")  # seal the chain, then send it to IDP_AUDIT_SINK
        jobs.every(24 * 60, "idp.audit.export.purge_job")  # retention: exported entries past IDP_AUDIT_RETENTION_DAYS
        post_save.connect(_admin_action, sender=LogEntry, dispatch_uid="audit-admin-action")


ACTIONS = {1: "add", 2: "change", 3: "delete"}


def _admin_action(sender, instance, created, **kwargs):
    """Every change made in 系统管理 (Django writes a LogEntry for each) is in the audit log too,
    for the 审计管理员: who, what kind of object, which one, which fields (Django's change message,
    which names them) — never their values."""
    from idp.audit.log import record
    from idp.audit.models import Event

    if created:
        record(Event.ADMIN_ACTION, actor=instance.user, action=ACTIONS.get(instance.action_flag, "?"),
               object=f"{instance.content_type.app_label}.{instance.content_type.model}:{instance.object_id}",
               name=instance.object_repr[:100], fields=instance.change_message[:300])
