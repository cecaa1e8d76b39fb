from django.urls import path

from idp.accounts import api, mfa_views, views

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("login/verify/", mfa_views.verify, name="login-verify"),
    path("login/enrol/", mfa_views.enrol_at_login, name="login-enrol"),
    path("online/security/", mfa_views.security, name="mfa-settings"),
    path("register/", views.register_landing, name="register"),
    path("register/natural/", views.register_natural, name="register-natural"),
    path("register/legal/", views.register_legal, name="register-legal"),
    path("register/done/", views.register_done, name="register-done"),
    path("register/agreement/<str:kind>/", views.agreement, name="agreement"),
    path("online/profile/", views.profile, name="profile"),
    path("online/profile/edit/", views.profile_edit, name="profile-edit"),
    path("online/profile/history/", views.profile_history, name="profile-history"),
    path("online/password/", views.password_change, name="password-change"),
    path("api/check/password", api.check_password, name="api-check-password"),
    path("api/check/<str:what>", api.check, name="api-check"),
]
