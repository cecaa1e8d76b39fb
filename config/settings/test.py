"""Test settings: the base settings with the captcha test hook allowed.

Browser journeys answer captchas with the fixed answer; captcha tests switch back to the
real image captcha with the `settings` fixture.
"""

import os

os.environ.setdefault("IDP_ALLOW_TEST_HOOKS", "1")
os.environ.setdefault("IDP_CAPTCHA", "fixed:PASSED")

from config.settings.base import *  # noqa: E402, F403

IDP_SMS_OUTBOX = str(VAR_DIR / "test-sms-outbox.jsonl")  # noqa: F405
IDP_PRIVATE_STORAGE = str(VAR_DIR / "test-private")  # noqa: F405
