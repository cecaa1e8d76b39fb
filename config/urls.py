from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy

from idp.accounts import views as accounts_views

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
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),  # the header's 中文 / English switch
    path("", include("idp.core.urls")),
    path("", include("idp.portal.urls")),
    path("", include("idp.accounts.urls")),
    path("", include("idp.realname.urls")),
    path("", include("idp.entrance.urls")),
    path("", include("idp.delegation.urls")),
    path("", include("idp.recovery.urls")),
    path("", include("idp.ratings.urls")),
    path("", include("idp.legacy.urls")),
    path("", include("idp.oidc.urls")),
    path("cas/", include("idp.cas.urls")),
    path("console/", include("idp.console.urls")),
    path("api/", include("idp.notify.urls")),
    path("captcha/", include("idp.core.captcha_urls")),
    # /admin/ signs in through the platform's login, with its second factor, never its own form.
    path("admin/login/", accounts_views.admin_login),
    path("admin/", admin.site.urls),
]
