"""Password recovery (/password/): 登录名重置密码 and both appeals."""

from django.urls import path

from idp.recovery import views

urlpatterns = [
    path("forgot/", views.choose, name="password-forgot"),
    path("reset/", views.reset_lookup, name="reset-lookup"),
    path("reset/verify/", views.reset_verify, name="reset-verify"),
    path("reset/done/", views.reset_done, name="reset-done"),
    path("appeal/person/", views.person_appeal, name="appeal-person"),
    path("appeal/org/", views.org_search, name="appeal-org"),
    path("appeal/org/form/", views.org_appeal, name="appeal-org-form"),
    path("appeal/waiting/", views.appeal_waiting, name="appeal-waiting"),
    path("appeal/status/", views.appeal_status, name="appeal-status"),
    path("set/<str:token>/", views.set_password, name="password-set"),
]
