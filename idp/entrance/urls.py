from django.urls import path

from idp.entrance import views

urlpatterns = [
    path("services/", views.catalogue, name="catalogue"),
    path("services/<int:pk>/", views.item_detail, name="service-item"),
    path("services/<int:pk>/enter/", views.enter, name="service-enter"),
    path("services/<int:pk>/follow/", views.follow, name="service-follow"),
    path("services/switch-account/", views.switch_account, name="switch-account"),
    path("online/", views.follows, name="online"),
    path("online/apply/", views.apply, name="online-apply"),
    path("online/matters/", views.matters, name="online-matters"),
]
