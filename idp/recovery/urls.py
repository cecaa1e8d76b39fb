from django.urls import path

from idp.recovery import views

urlpatterns = [
    path("password/forgot/", views.choose, name="password-forgot"),
    path("password/reset/", views.reset_lookup, name="reset-lookup"),
    path("password/reset/verify/", views.reset_verify, name="reset-verify"),
    path("password/reset/done/", views.reset_done, name="reset-done"),
    path("password/appeal/person/", views.person_appeal, name="appeal-person"),
    path("password/appeal/org/", views.org_search, name="appeal-org"),
    path("password/appeal/org/form/", views.org_appeal, name="appeal-org-form"),
    path("password/appeal/waiting/", views.appeal_waiting, name="appeal-waiting"),
    path("password/appeal/status/", views.appeal_status, name="appeal-status"),
    path("password/set/<str:token>/", views.set_password, name="password-set"),
]
