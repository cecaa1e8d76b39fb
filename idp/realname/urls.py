from django.urls import path

from idp.realname import views

urlpatterns = [
    path("online/verification/", views.upload, name="realname-upload"),
    path("online/verification/check/", views.check_again, name="realname-check"),
    path("online/verification/sample/<str:slot>/", views.sample, name="realname-sample"),
    path("realname/evidence/<uuid:file_id>/", views.evidence, name="realname-evidence"),
]
