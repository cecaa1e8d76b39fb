"""Issue 11, item 4: parallel guesses cannot get past the attempt limit of an SMS code."""

import pytest
from django.conf import settings

from idp.notify import otp
from tests.concurrency import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_forty_parallel_guesses_are_checked_at_most_five_times():
    otp.send_code(phone="13911112222", purpose="register", ip="203.0.113.9")
    guesses = [f"{n:06d}" for n in range(40)]
    results = run_together(*[
        (lambda g=g: otp.check_code(phone="13911112222", purpose="register", code=g)) for g in guesses])
    compared = [r for r in results if isinstance(r, otp.CodeError) and r.code == "wrong" or isinstance(r, int)]
    assert len(compared) <= settings.IDP_OTP_MAX_ATTEMPTS
    assert all(isinstance(r, otp.CodeError) for r in results if r not in compared)
