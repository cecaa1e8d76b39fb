from django.urls import path

from idp.core import views

urlpatterns = [path("", views.home, name="home")]
