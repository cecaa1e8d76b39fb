import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django_application = get_wsgi_application()

from idp.sso.fastpath import FastPath  # noqa: E402  (needs the configured apps)

application = FastPath(django_application)
