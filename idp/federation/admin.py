"""Upstream identity providers in 系统管理: the same checks as register_identity_provider (the
issuer's discovery document is fetched before the provider is saved)."""

from django import forms
from django.contrib import admin

from idp.audit.log import record
from idp.audit.models import Event
from idp.core.http import client_ip
from idp.federation import registration
from idp.federation.models import FederatedIdentity, IdentityProvider


class IdentityProviderForm(forms.ModelForm):
    issuer = forms.URLField(label="Issuer", max_length=300, assume_scheme="https")
    client_secret = forms.CharField(widget=forms.PasswordInput(render_value=True), label="client_secret")

    class Meta:
        model = IdentityProvider
        fields = ["code", "name", "issuer", "client_id", "client_secret", "scopes", "kinds", "name_claim",
                  "id_number_claim", "id_type_claim", "default_id_type", "uscc_claim", "verified_claim",
                  "phone_claim", "trusted", "order", "enabled"]

    def clean(self):
        data = super().clean()
        if not self.errors:
            names = {field.name for field in IdentityProvider._meta.fields}
            candidate = IdentityProvider(**{name: value for name, value in data.items() if name in names})
            try:
                registration.check(candidate)
            except registration.RegistrationError as exc:
                raise forms.ValidationError({exc.field: exc.message}) from None
        return data


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    list_display = ["code", "name", "issuer", "kinds", "trusted", "enabled", "order"]
    list_filter = ["trusted", "enabled", "kinds"]
    readonly_fields = ["redirect_uri", "backchannel_logout_uri"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(Event.FEDERATION_REGISTERED, actor=request.user, ip=client_ip(request), provider=obj.code,
               issuer=obj.issuer, trusted=obj.trusted, created=not change)


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(admin.ModelAdmin):
    list_display = ["provider", "account", "how", "created_at", "last_login_at"]
    list_filter = ["provider", "how"]
    search_fields = ["account__login_name"]
    readonly_fields = ["provider", "subject", "account", "how", "created_at", "last_login_at"]

    def has_add_permission(self, request):
        return False  # links are made by the person (linking.py), never typed in
