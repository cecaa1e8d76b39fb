from django.urls import path

from idp.ratings import views

urlpatterns = [
    path("online/ratings/", views.mine, name="online-ratings"),
    path("online/ratings/<int:visit_id>/", views.rate, name="rate"),
    path("console/ratings/", views.overview, name="console-ratings"),
    path("console/ratings/<int:pk>/reply/", views.reply, name="console-ratings-reply"),
]
