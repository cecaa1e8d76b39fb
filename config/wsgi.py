"""The production entry point: granian serves `config.wsgi:application` (make serve)."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

if settings.IDP_PRODUCTION:
    from idp.core.checks import refuse_unsafe_start

    refuse_unsafe_start()

from config.entry import EntryPoint  # noqa: E402  (needs the configured apps)
from idp.core.requestlog import RequestLog  # noqa: E402

application = RequestLog(EntryPoint())

# What is loaded by now lives as long as the process: out of the collector's reach, a full
# collection no longer walks Django's and the apps' ~150,000 objects (~90 ms each time, in the
# middle of some request).
gc.freeze()
