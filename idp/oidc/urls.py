"""The OpenID Connect provider (/oidc/) and its discovery document (/.well-known/)."""

from django.urls import path

from idp.oidc import views

well_known_urlpatterns = [
    path("openid-configuration", views.discovery, name="oidc-discovery"),
]

urlpatterns = [
    path("authorize", views.authorize, name="oidc-authorize"),
    path("token", views.token, name="oidc-token"),
    path("userinfo", views.userinfo, name="oidc-userinfo"),
    path("jwks", views.jwks, name="oidc-jwks"),
    path("introspect", views.introspect, name="oidc-introspect"),
    path("revoke", views.revoke, name="oidc-revoke"),
    path("logout", views.end_session, name="oidc-logout"),
]
