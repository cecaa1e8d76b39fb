"""Issue 11 (informational): two parallel requests cannot both spend one solved captcha."""

import pytest
from captcha.models import CaptchaStore
from django.core.exceptions import ValidationError

from idp.core.captcha import PlatformCaptchaField
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_solved_captcha_is_accepted_once_under_concurrency():
    for _ in range(5):
        key = CaptchaStore.generate_key()
        field = PlatformCaptchaField()
        results = run_together(*[(lambda f=field, k=key: f.clean([k, "PASSED"])) for _ in range(4)])
        assert sum(not isinstance(r, ValidationError) for r in results) == 1
