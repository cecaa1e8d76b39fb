"""人工认证: its pages in 在线办事 (/online/verification/) and the evidence files (/realname/)."""

from django.urls import path

from idp.realname import views

urlpatterns = [
    path("evidence/<uuid:file_id>/", views.evidence, name="realname-evidence"),
]

online_urlpatterns = [
    path("verification/", views.upload, name="realname-upload"),
    path("verification/check/", views.check_again, name="realname-check"),
    path("verification/sample/<str:slot>/", views.sample, name="realname-sample"),
]
