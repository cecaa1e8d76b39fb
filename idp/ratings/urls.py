"""我的评价 in 在线办事 (/online/ratings/) and 好差评 in the console (/console/ratings/)."""

from django.urls import path

from idp.ratings import views

online_urlpatterns = [
    path("ratings/", views.mine, name="online-ratings"),
    path("ratings/<int:visit_id>/", views.rate, name="rate"),
]

console_urlpatterns = [
    path("ratings/", views.overview, name="console-ratings"),
    path("ratings/<int:pk>/reply/", views.reply, name="console-ratings-reply"),
]
