"""Test settings: the base settings with the captcha test hook allowed.

Browser journeys answer captchas with the fixed answer; captcha tests switch back to the
real image captcha with the `settings` fixture.
"""

import os

os.environ.setdefault("IDP_ALLOW_TEST_HOOKS", "1")
os.environ.setdefault("IDP_CAPTCHA", "fixed:PASSED")

from config.settings.base import *  # noqa: E402, F403

IDP_SMS_OUTBOX = str(VAR_DIR / "test-sms-outbox.jsonl")  # noqa: F405

# Jobs run at once, in the caller's transaction, so a test sees their effect; the tests of the
# queue itself put them in the queue table as production does (the `queued` fixture), and so do
# the servers the interoperability tests start (IDP_JOBS_INLINE=0).
Q_CLUSTER = {**Q_CLUSTER, "sync": os.environ.get("IDP_JOBS_INLINE", "1") == "1"}  # noqa: F405
