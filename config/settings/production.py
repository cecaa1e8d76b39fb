"""Production: secure cookies, HSTS. Unsafe settings (development keys, test hooks, the
reference verifier, the SMS outbox, a per-process cache, SQLite, no proxy setting) are system
checks (idp/core/checks.py): `manage.py check --deploy` fails on them and the WSGI
application refuses to start."""

import re

from config import env
from config.settings.base import *  # noqa: F403

IDP_PRODUCTION = True
IDP_APPEAL_SECOND_REVIEWER = env.get_bool("IDP_APPEAL_SECOND_REVIEWER") or not env.get("IDP_APPEAL_SECOND_REVIEWER")
DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# Static files: hashed names and compressed copies made by collectstatic (make serve), served by
# WhiteNoise with far-future caching.
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "whitenoise.middleware.WhiteNoiseMiddleware")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# The machine endpoints are never redirected to https: a back end's POST would not follow, and its
# request has already been sent; TLS for them is the proxy's (docs/operators.md).
SECURE_REDIRECT_EXEMPT = ["^" + re.escape(path.lstrip("/")) + "$" for path in MACHINE_PATHS]  # noqa: F405
