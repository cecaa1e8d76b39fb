from django.urls import path

from idp.delegation import views

urlpatterns = [
    path("online/delegation/", views.manage, name="delegation"),
    path("online/delegation/<int:grant_id>/change/", views.change, name="delegation-change"),
    path("online/delegation/<int:grant_id>/revoke/", views.revoke, name="delegation-revoke"),
    path("online/grants/<int:grant_id>/decline/", views.decline, name="delegation-decline"),
]
