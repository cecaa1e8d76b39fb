"""The portal's public pages, 我的咨询 in 在线办事 (/online/questions/) and answering questions in
the console (/console/questions/)."""

from django.urls import path

from idp.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("consult/", views.consult, name="consult"),
    path("search/", views.search, name="search"),
    path("results/", views.results, name="results"),
    path("results/<int:pk>/", views.result, name="result"),
    path("results/attachments/<int:pk>/", views.attachment, name="result-attachment"),
]

online_urlpatterns = [
    path("questions/", views.my_questions, name="my-questions"),
]

console_urlpatterns = [
    path("questions/", views.console_questions, name="console-questions"),
]
