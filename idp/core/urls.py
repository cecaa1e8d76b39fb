from django.urls import path

from idp.core import views

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("health/live", views.health_live, name="health-live"),
    path("health/ready", views.health_ready, name="health-ready"),
    path("metrics", views.metrics_view, name="metrics"),
]
