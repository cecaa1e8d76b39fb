"""The platform's addresses, by area. Each area is one app's — or, for 在线办事, the console and the
JSON APIs, composed here from the apps that serve it (each app lists its part of an area in its
urls.py as `online_urlpatterns`, `console_urlpatterns`, `api_urlpatterns`). The machine endpoints
come first: they are resolved on every back-channel call (config/entry.py)."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView

from idp.accounts import urls as accounts
from idp.accounts import views as accounts_views
from idp.api import urls as operator_urls
from idp.api.views import api as operator_api
from idp.console import urls as console
from idp.delegation import urls as delegation
from idp.entrance import urls as entrance
from idp.legacy import urls as legacy
from idp.notify import urls as notify
from idp.oidc import urls as oidc
from idp.portal import urls as portal
from idp.ratings import urls as ratings
from idp.realname import urls as realname
from idp.sso import urls as sso

# The platform's own error pages (a database or Redis that cannot be reached is a 503 the user
# may retry, not a 500).
handler400 = "idp.core.views.bad_request"
handler403 = "idp.core.views.permission_denied"
handler404 = "idp.core.views.page_not_found"
handler500 = "idp.core.views.server_error"

admin.site.site_header = gettext_lazy("政务服务平台统一身份认证 · 系统管理")
admin.site.site_title = gettext_lazy("政务服务平台统一身份认证")
admin.site.index_title = gettext_lazy("系统管理")

urlpatterns = [
    # Single sign-on: the OpenID Connect provider, the CAS server and the SAML identity provider.
    path(".well-known/", include(oidc.well_known_urlpatterns)),
    path("oidc/", include("idp.oidc.urls")),
    path("cas/", include("idp.cas.urls")),
    path("saml/", include("idp.saml.urls")),
    # Operations: health/, metrics, favicon.ico.
    path("", include("idp.core.urls")),
    # The portal's public pages (home, notices, consult, search, results).
    path("", include("idp.portal.urls")),
    # Logins through upstream identity providers (the platform as their relying party).
    path("federation/", include("idp.federation.urls")),
    # Logging in and out, registering, the language switch.
    path("", include("idp.accounts.urls")),
    # Password recovery; 服务事项 and 办理入口; 账号检索 for legacy users; evidence files.
    path("password/", include("idp.recovery.urls")),
    path("services/", include("idp.entrance.urls")),
    path("legacy/", include("idp.legacy.urls")),
    path("", include(legacy.old_urlpatterns)),
    path("realname/", include("idp.realname.urls")),
    # 在线办事, a signed-in person's or organisation's pages.
    path("online/", include([*entrance.online_urlpatterns, *accounts.online_urlpatterns,
                             *realname.online_urlpatterns, *delegation.online_urlpatterns,
                             *portal.online_urlpatterns, *ratings.online_urlpatterns, *sso.online_urlpatterns,
                             *oidc.online_urlpatterns])),
    # The review console: reviews, appeals, the audit log, user migration; questions and ratings.
    path("console/", include([*console.urlpatterns, *portal.console_urlpatterns,
                              *ratings.console_urlpatterns,
                              path("migration/", RedirectView.as_view(url="/console/legacy/", permanent=True))])),
    # The operator API (CONTRACT.md) with its OpenAPI document, for operators' tools (bearer tokens).
    path("api/admin/v1/", operator_api.urls),
    path("scim/v2/", include(operator_urls.scim_urlpatterns)),
    # JSON APIs (CONTRACT.md): checks, SMS codes, the legacy account lookup.
    path("api/", include([*accounts.api_urlpatterns, *notify.api_urlpatterns, *legacy.api_urlpatterns])),
    path("captcha/", include("idp.core.captcha_urls")),
    # 系统管理 (Django admin) signs in through the platform's login, with its second factor.
    path("admin/login/", accounts_views.admin_login),
    path("admin/", admin.site.urls),
]
