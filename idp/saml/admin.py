"""SAML service providers in 系统管理: an operator pastes the provider's metadata (or a new one
when its keys change) and picks how responses are signed and encrypted; what the platform uses
is read from the metadata by registration.set_up, as the registration command does."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from idp.audit.log import record
from idp.audit.models import Event
from idp.catalogue.models import Protocol
from idp.core.http import client_ip
from idp.saml import registration
from idp.saml.models import ServiceProvider
from idp.sso.models import Client

SIGN_LABELS = [("both", _("响应与断言都签名")), ("response", _("只签名响应")), ("assertion", _("只签名断言"))]


class ServiceProviderForm(forms.ModelForm):
    sign = forms.ChoiceField(label=_("签名"), choices=SIGN_LABELS, initial="both")

    class Meta:
        model = ServiceProvider
        fields = ["client", "metadata", "sign", "encryption", "default_relay_state"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.filter(system__protocol=Protocol.SAML)
        if self.instance.pk:
            self.fields["sign"].initial = next(
                key for key, (response, assertion) in registration.SIGN_CHOICES.items()
                if (response, assertion) == (self.instance.sign_response, self.instance.sign_assertion))

    def clean(self):
        data = super().clean()
        if data.get("client") and data.get("metadata"):
            try:
                registration.checked_metadata(data["client"], data["metadata"])
            except registration.RegistrationError as exc:
                self.add_error("metadata", str(exc))
        return data


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin):
    form = ServiceProviderForm
    list_display = ["entity_id", "client", "encryption", "authn_requests_signed"]
    search_fields = ["entity_id", "client__system__name"]
    readonly_fields = ["entity_id", "acs", "slo", "authn_requests_signed", "signing_certificates",
                       "encryption_certificate"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        provider = registration.set_up(data["client"], metadata=data["metadata"], sign=data["sign"],
                                       encryption=data["encryption"], relay_state=data["default_relay_state"])
        obj.pk = provider.pk
        record(Event.CLIENT_REGISTERED, actor=request.user, ip=client_ip(request), client_id=data["client"].client_id,
               protocol=Protocol.SAML, changed=sorted(form.changed_data) if change else [])
