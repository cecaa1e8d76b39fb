from django.urls import path

from idp.legacy import views

urlpatterns = [
    path("migration/lookup/", views.lookup_page, name="migration-lookup"),
    path("api/migration/lookup", views.lookup_api, name="migration-lookup-api"),
    path("api/migration/captcha", views.captcha_api, name="migration-captcha-api"),
]
