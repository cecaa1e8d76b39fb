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
    path("migration/", views.migration, name="console-migration"),
    path("migration/<int:pk>/", views.migration_run, name="console-migration-run"),
]
