"""服务事项 and 办理入口 (/services/), and 在线办事's own pages — 我的关注, 我要办理, 我的事项
(/online/, composed in config/urls.py)."""

from django.urls import path

from idp.entrance import views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:pk>/", views.item_detail, name="service-item"),
    path("<int:pk>/enter/", views.enter, name="service-enter"),
    path("<int:pk>/follow/", views.follow, name="service-follow"),
    path("switch-account/", views.switch_account, name="switch-account"),
]

online_urlpatterns = [
    path("", views.follows, name="online"),
    path("apply/", views.apply, name="online-apply"),
    path("matters/", views.matters, name="online-matters"),
]
