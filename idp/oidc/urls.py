from django.urls import path

from idp.oidc import views

urlpatterns = [
    path(".well-known/openid-configuration", views.discovery, name="oidc-discovery"),
    path("oidc/authorize", views.authorize, name="oidc-authorize"),
    path("oidc/token", views.token, name="oidc-token"),
    path("oidc/userinfo", views.userinfo, name="oidc-userinfo"),
    path("oidc/jwks", views.jwks, name="oidc-jwks"),
    path("oidc/introspect", views.introspect, name="oidc-introspect"),
    path("oidc/revoke", views.revoke, name="oidc-revoke"),
    path("oidc/logout", views.end_session, name="oidc-logout"),
]
