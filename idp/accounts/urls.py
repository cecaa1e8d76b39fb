"""Accounts' addresses. `urlpatterns`: logging in and out, registering, the language switch;
`online_urlpatterns`: its pages in 在线办事 (/online/); `api_urlpatterns`: the checks under /api/
(config/urls.py composes the areas)."""

from django.urls import path

from idp.accounts import api, mfa_views, passkey_views, views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", mfa_views.verify, name="login-verify"),
    path("login/enrol/", mfa_views.enrol_at_login, name="login-enrol"),
    path("login/passkey/options", passkey_views.login_options, name="passkey-login-options"),
    path("login/passkey/", passkey_views.login, name="passkey-login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_landing, name="register"),
    path("register/natural/", views.register_natural, name="register-natural"),
    path("register/legal/", views.register_legal, name="register-legal"),
    path("register/done/", views.register_done, name="register-done"),
    path("register/agreement/<str:kind>/", views.agreement, name="agreement"),
    path("i18n/setlang/", views.set_language, name="set_language"),  # the header's 中文 / English switch
]

online_urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/edit/", views.profile_edit, name="profile-edit"),
    path("profile/history/", views.profile_history, name="profile-history"),
    path("profile/logins/", views.profile_logins, name="profile-logins"),
    path("password/", views.password_change, name="password-change"),
    path("security/", mfa_views.security, name="mfa-settings"),
    path("security/passkeys/options", passkey_views.enrol_options, name="passkey-enrol-options"),
    path("security/passkeys/", passkey_views.enrol, name="passkey-enrol"),
    path("security/passkeys/<int:pk>/delete/", passkey_views.remove, name="passkey-remove"),
    path("security/passkeys/confirm/", passkey_views.confirm, name="passkey-confirm"),
]

api_urlpatterns = [
    path("check/password", api.check_password, name="api-check-password"),
    path("check/<str:what>", api.check, name="api-check"),
]
