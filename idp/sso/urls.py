"""`online_urlpatterns`: single sign-on's pages in 在线办事 (/online/), composed in config/urls.py."""

from django.urls import path

from idp.sso import views

online_urlpatterns = [
    path("devices/", views.devices, name="devices"),
    path("devices/end/", views.end_device, name="devices-end"),
    path("devices/end-others/", views.end_other_devices, name="devices-end-others"),
]
