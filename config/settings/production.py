"""Production: secure cookies, HSTS, and refusal to run on development secrets."""

from django.core.exceptions import ImproperlyConfigured

from config import env
from config.settings.base import *  # noqa: F403

if SECRET_KEY == env.DEV_SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("Set IDP_SECRET_KEY: the development key is refused in production.")
if IDP_DATA_KEY == env.DEV_DATA_KEY:  # noqa: F405
    raise ImproperlyConfigured("Set IDP_DATA_KEY: the development data key is refused in production.")
if IDP_ALLOW_TEST_HOOKS:  # noqa: F405
    raise ImproperlyConfigured("IDP_ALLOW_TEST_HOOKS must not be set in production.")
if not IDP_ISSUER.startswith("https://"):  # noqa: F405
    raise ImproperlyConfigured("IDP_ISSUER must be an https:// URL in production.")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
