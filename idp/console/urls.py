"""The review console (/console/); the portal's and the ratings' console pages join it in
config/urls.py."""

from django.urls import path

from idp.console import views

urlpatterns = [
    path("", views.dashboard, name="console"),
    path("reviews/<str:kind>/", views.queue, name="console-queue"),
    path("review/<int:pk>/", views.review, name="console-review"),
    path("review/<int:pk>/decide/", views.decide, name="console-decide"),
    path("appeals/<str:kind>/", views.appeals, name="console-appeals"),
    path("appeal/<int:pk>/", views.appeal, name="console-appeal"),
    path("appeal/<int:pk>/decide/", views.appeal_decide, name="console-appeal-decide"),
    path("appeal-files/<uuid:file_id>/", views.appeal_file, name="console-appeal-file"),
    path("audit/", views.audit, name="console-audit"),
    path("webhooks/", views.webhooks, name="console-webhooks"),
    path("webhooks/<int:pk>/retry/", views.webhook_retry, name="console-webhook-retry"),
    path("legacy/", views.legacy, name="console-legacy"),
    path("legacy/<int:pk>/", views.legacy_run, name="console-legacy-run"),
]
