from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisioningConfig(AppConfig):
    name = "idp.provisioning"
    label = "provisioning"
    verbose_name = _("事件通知与 SCIM 推送")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from idp.audit.models import AuditEntry
        from idp.core import jobs, metrics
        from idp.provisioning import scim, webhooks
        from idp.provisioning.models import ScimTarget
        from idp.sso import clients

        post_save.connect(webhooks.on_audit_entry, sender=AuditEntry, dispatch_uid="webhooks-on-audit-entry")
        post_save.connect(scim.on_audit_entry, sender=AuditEntry, dispatch_uid="scim-on-audit-entry")
        # scim.any_target() is kept with the registered clients: any change makes every process forget.
        post_save.connect(clients.changed, sender=ScimTarget, dispatch_uid="clients-changed-ScimTarget")
        post_delete.connect(clients.changed, sender=ScimTarget, dispatch_uid="clients-deleted-ScimTarget")
        jobs.register("idp.provisioning.webhooks.fan_out", "idp.provisioning.webhooks.deliver")
        jobs.every(1, "idp.provisioning.webhooks.deliver_due")
        jobs.every(60, "idp.provisioning.webhooks.purge_finished")
        metrics.on_scrape("idp_webhook_deliveries", "Webhook deliveries not delivered: pending, or given up "
                          "(dead letters, shown in the console)", webhooks.undelivered)
        jobs.register("idp.provisioning.scim.fan_out", "idp.provisioning.scim.deliver",
                      "idp.provisioning.scim.reconcile_system")
        jobs.every(1, "idp.provisioning.scim.deliver_due")
        jobs.every(60, "idp.provisioning.scim.reconcile_all")
        jobs.every(60, "idp.provisioning.scim.purge_finished")
        metrics.on_scrape("idp_scim_changes", "SCIM changes not yet at their business system: pending, or "
                          "given up (logged)", scim.undelivered)
