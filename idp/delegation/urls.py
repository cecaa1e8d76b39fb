"""用户授权管理 in 在线办事 (/online/, composed in config/urls.py)."""

from django.urls import path

from idp.delegation import views

online_urlpatterns = [
    path("delegation/", views.manage, name="delegation"),
    path("delegation/<int:grant_id>/change/", views.change, name="delegation-change"),
    path("delegation/<int:grant_id>/revoke/", views.revoke, name="delegation-revoke"),
    path("grants/<int:grant_id>/decline/", views.decline, name="delegation-decline"),
]
