"""Operators register business systems as relying parties here (console → 系统管理 → 接入配置).
A new client's secret, and a regenerated one, is shown once in the message bar."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from idp.audit.log import record
from idp.audit.models import Event
from idp.core.http import client_ip
from idp.sso import clients
from idp.sso.models import Client, LogoutDelivery


class ClientForm(forms.ModelForm):
    backchannel_logout_uri = forms.CharField(label=_("后端通道退出地址 backchannel_logout_uri"), required=False,
                                             max_length=200)

    class Meta:
        model = Client
        fields = ["system", "client_id", "redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri",
                  "id_token_alg", "service_pattern", "proxy_targets", "first_party"]

    def clean_redirect_uris(self):
        return self._uri_lines("redirect_uris")

    def clean_post_logout_redirect_uris(self):
        return self._uri_lines("post_logout_redirect_uris")

    def clean_backchannel_logout_uri(self):
        uri = self.cleaned_data["backchannel_logout_uri"].strip()
        if uri:
            try:
                clients.check_uri(uri)
            except clients.RegistrationError as exc:
                raise forms.ValidationError(str(exc)) from None
        return uri

    def _uri_lines(self, field):
        lines = [line.strip() for line in self.cleaned_data[field].splitlines() if line.strip()]
        for line in lines:
            try:
                clients.check_uri(line)
            except clients.RegistrationError as exc:
                raise forms.ValidationError(str(exc)) from None
        return "\n".join(lines)

    def clean_service_pattern(self):
        pattern = self.cleaned_data["service_pattern"].strip()
        try:
            clients.check_service_pattern(pattern)
        except clients.RegistrationError as exc:
            raise forms.ValidationError(str(exc)) from None
        return pattern


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ["system", "client_id", "is_public", "id_token_alg", "service_pattern"]
    search_fields = ["client_id", "system__name"]
    readonly_fields = ["created_at"]
    actions = ["regenerate_secret"]

    @admin.display(boolean=True, description=_("公开客户端"))
    def is_public(self, obj):
        return obj.is_public

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(Event.CLIENT_REGISTERED, actor=request.user, ip=client_ip(request), client_id=obj.client_id,
               changed=sorted(form.changed_data) if change else [])
        if not change:
            secret = clients.issue_secret(obj, actor=request.user, ip=client_ip(request))
            messages.warning(request, _("client_id: %(client_id)s  client_secret: %(secret)s"
                                        "(只显示这一次,请立即交给业务系统)")
                             % {"client_id": obj.client_id, "secret": secret})

    @admin.action(description=_("重新生成 client_secret(旧密钥立即失效)"))
    def regenerate_secret(self, request, queryset):
        for client in queryset:
            secret = clients.issue_secret(client, actor=request.user, ip=client_ip(request))
            messages.warning(request, _("%(client_id)s: client_secret: %(secret)s(只显示这一次)")
                             % {"client_id": client.client_id, "secret": secret})


@admin.register(LogoutDelivery)
class LogoutDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "client", "url", "attempts", "delivered_at", "failed_at", "last_error"]
    list_filter = ["kind", "delivered_at", "failed_at"]
    readonly_fields = [f.name for f in LogoutDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
