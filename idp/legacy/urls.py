"""账号检索 for the legacy platform's users (/legacy/), and its JSON API under /api/migration/ (the
address CONTRACT.md gives). /migration/lookup/, the page's first address, redirects here."""

from django.urls import path
from django.views.generic import RedirectView

from idp.legacy import views

urlpatterns = [
    path("lookup/", views.lookup_page, name="legacy-lookup"),
]

api_urlpatterns = [
    path("migration/lookup", views.lookup_api, name="legacy-lookup-api"),
    path("migration/captcha", views.captcha_api, name="legacy-captcha-api"),
]

old_urlpatterns = [  # links the legacy platform's transfer page published before the rename
    path("migration/lookup/", RedirectView.as_view(pattern_name="legacy-lookup", permanent=True,
                                                   query_string=True)),
]
