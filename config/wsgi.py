import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402

if settings.IDP_PRODUCTION:
    from idp.core.checks import refuse_unsafe_start

    refuse_unsafe_start()

from config.fastpath import FastPath  # noqa: E402  (needs the configured apps)
from idp.core.requestlog import RequestLog  # noqa: E402

application = RequestLog(FastPath(django_application))
