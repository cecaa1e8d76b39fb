from django.contrib.auth.backends import ModelBackend

from idp.accounts import roles
from idp.accounts.models import Account


class LoginNameBackend(ModelBackend):
    """Login names compare case-insensitively (SPEC 2); the rest is Django's ModelBackend,
    including a dummy hash for unknown names so timing does not tell they are unknown. An
    administrator's role gives its 系统管理 permissions (accounts/roles.py)."""

    def get_all_permissions(self, user_obj, obj=None):
        return super().get_all_permissions(user_obj, obj) | roles.role_permissions(user_obj)

    def authenticate(self, request, login_name=None, password=None, **kwargs):
        login_name = login_name or kwargs.get(Account.USERNAME_FIELD)
        if login_name is None or password is None:
            return None
        return super().authenticate(request, username=login_name, password=password)
