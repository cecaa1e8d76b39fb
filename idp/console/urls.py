from django.urls import path

from idp.console import views

urlpatterns = [
    path("", views.dashboard, name="console"),
    path("reviews/<str:kind>/", views.queue, name="console-queue"),
    path("review/<int:pk>/", views.review, name="console-review"),
    path("review/<int:pk>/decide/", views.decide, name="console-decide"),
    path("audit/", views.audit, name="console-audit"),
]
