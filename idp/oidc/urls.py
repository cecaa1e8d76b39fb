"""The OpenID Connect provider (/oidc/) and its discovery document (/.well-known/);
`online_urlpatterns`: 已授权的应用 in 在线办事."""

from django.urls import path

from idp.oidc import applications, views

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

online_urlpatterns = [
    path("applications/", applications.applications, name="applications"),
    path("applications/revoke/", applications.revoke_application, name="applications-revoke"),
]
