from django.urls import path

from idp.federation import views

urlpatterns = [
    path("<slug:code>/login", views.start, name="federation-start"),
    path("<slug:code>/callback", views.callback, name="federation-callback"),
    path("<slug:code>/backchannel-logout", views.backchannel_logout, name="federation-backchannel-logout"),
    path("link/", views.choose, name="federation-choose"),
    path("register/", views.register, name="federation-register"),
    path("unlink/<int:pk>", views.unlink, name="federation-unlink"),
]
