from django.urls import path

from idp.saml import views

urlpatterns = [
    path("metadata", views.idp_metadata, name="saml-metadata"),
    path("sso", views.sso, name="saml-sso"),
    path("sso/continue/<str:key>", views.sso_continue, name="saml-sso-continue"),
    path("slo", views.logout, name="saml-slo"),
    path("slo/next", views.logout_next, name="saml-slo-next"),
    path("launch/<slug:code>", views.launch, name="saml-launch"),
]
