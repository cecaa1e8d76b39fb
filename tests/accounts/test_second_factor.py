"""Issue 11, item 9: staff sign in with a second factor (TOTP, RFC 6238) enrolled at their
first console login, with single-use recovery codes; citizens may enrol too; /admin/ has no
way around it."""

import re
import time

import pyotp
import pytest
from django.test import Client

from idp.accounts.models import RecoveryCode, TotpDevice
from tests import factories
from tests.accounts.test_login import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    account = factories.natural_account("mfa_staff")
    account.is_staff = True
    account.save()
    return account


def enrol_at_first_login(client) -> tuple[str, list[str], str]:
    """(secret, recovery codes, the code used to confirm the enrolment)"""
    response = login(client, "mfa_staff")
    assert response.url == "/login/enrol/"
    page = client.get("/login/enrol/").content.decode()
    assert "data:image/svg+xml" in page  # the QR code for the authenticator app
    secret = re.search(r'class="mfa-secret">(\w+)<', page).group(1)
    wrong = client.post("/login/enrol/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert "验证码不正确" in wrong.content.decode()
    assert client.get("/console/").status_code == 302  # not signed in yet
    used = pyotp.TOTP(secret).now()
    done = client.post("/login/enrol/", {"code": used}).content.decode()
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done)
    return secret, codes, used


def test_staff_enrol_at_the_first_login_then_need_a_code_every_time(staff):
    first = Client()
    secret, codes, used = enrol_at_first_login(first)
    assert len(codes) == 10 and first.get("/console/").status_code == 200
    assert TotpDevice.objects.filter(account=staff).exists()

    later = Client()
    assert login(later, "mfa_staff").url == "/login/verify/"
    assert later.get("/console/").status_code == 302  # the password alone is not enough
    replay = later.post("/login/verify/", {"code": used})  # a code is never accepted twice
    assert "验证码错误或已使用" in replay.content.decode()
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    assert later.post("/login/verify/", {"code": next_code}).status_code == 302
    assert later.get("/console/").status_code == 200


def test_a_next_that_is_not_a_path_does_not_spend_the_code_for_nothing(staff):
    """Issue 25 N4: after a correct TOTP code, `next=x` was a 500 and the code was spent."""
    secret, _, used = enrol_at_first_login(Client())
    later = Client()
    assert login(later, "mfa_staff", next="x").url == "/login/verify/"
    answer = later.post("/login/verify/", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert answer.status_code == 302 and answer.url == "/online/"
    assert later.get("/console/").status_code == 200


def test_the_second_factor_answers_the_authorization_request_the_login_interrupted(staff):
    """Issue 33: with a second factor, the verify step's POST is the one that answers the
    business system (the code at its redirect_uri), as the password POST does without one."""
    from tests.sso import helpers

    rp = helpers.oidc_client()
    secret, _, used = enrol_at_first_login(Client())
    later = Client()
    _, challenge = helpers.pkce_pair()
    next_url = helpers.query_of(helpers.authorize(later, rp, challenge=challenge)["Location"])["next"]
    assert login(later, "mfa_staff", next=next_url).url == "/login/verify/"
    answer = later.post("/login/verify/", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert answer.status_code == 302 and answer["Location"].startswith(helpers.REDIRECT + "?code=")


def test_a_recovery_code_works_once(staff):
    _, codes, _ = enrol_at_first_login(Client())
    one = Client()
    login(one, "mfa_staff")
    assert one.post("/login/verify/", {"code": codes[0].upper()}).status_code == 302
    two = Client()
    login(two, "mfa_staff")
    assert "验证码错误或已使用" in two.post("/login/verify/", {"code": codes[0]}).content.decode()
    assert RecoveryCode.objects.filter(account=staff, used_at__isnull=False).count() == 1
    assert not RecoveryCode.objects.filter(digest__contains=codes[1]).exists()  # only digests are kept


def test_five_wrong_codes_mean_the_password_again(staff):
    enrol_at_first_login(Client())
    client = Client()
    login(client, "mfa_staff")
    for _ in range(5):
        answer = client.post("/login/verify/", {"code": "12345x"})
    assert answer.url == "/login/"
    assert client.get("/login/verify/").url == "/login/"


def test_the_admin_login_goes_through_the_platform_login(staff):
    client = Client()
    response = client.get("/admin/login/?next=/admin/accounts/")
    assert response.status_code == 302 and response.url == "/login/?next=%2Fadmin%2Faccounts%2F"
    assert Client().post("/admin/login/", {"username": "mfa_staff", "password": factories.PASSWORD}).status_code == 302
    staff.is_superuser = True
    staff.save()
    bypass = Client()
    bypass.post("/admin/login/?next=/admin/", {"username": "mfa_staff", "password": factories.PASSWORD})
    assert bypass.get("/admin/").status_code == 302  # not signed in


def test_a_citizen_may_enrol_and_remove_it(client):
    factories.natural_account("citizen_mfa")
    login(client, "citizen_mfa")
    page = client.get("/online/security/").content.decode()
    secret = re.search(r'class="mfa-secret">(\w+)<', page).group(1)
    done = client.post("/online/security/", {"code": pyotp.TOTP(secret).now()}).content.decode()
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done)
    client.post("/logout/")
    assert login(client, "citizen_mfa").url == "/login/verify/"
    assert client.post("/login/verify/", {"code": pyotp.TOTP(secret).at(time.time() + 30)}).status_code == 302
    removed = client.post("/online/security/", {"code": codes[0]}, follow=True)  # removing needs a fresh code
    assert "已关闭两步验证" in removed.content.decode()
    client.post("/logout/")
    assert login(client, "citizen_mfa").status_code == 302 and client.get("/online/profile/").status_code == 200


def test_staff_cannot_remove_it(staff):
    client = Client()
    secret, _, _ = enrol_at_first_login(client)
    page = client.post("/online/security/", {"code": pyotp.TOTP(secret).at(time.time() + 30)}).content.decode()
    assert "不能关闭" in page and TotpDevice.objects.filter(account=staff).exists()


def test_guessing_codes_across_logins_pauses_the_second_step(staff):
    secret, _, _ = enrol_at_first_login(Client())
    for _ in range(2):  # two password logins, five wrong codes each
        client = Client()
        login(client, "mfa_staff")
        for _ in range(5):
            client.post("/login/verify/", {"code": "00000x"})
    client = Client()
    login(client, "mfa_staff")
    paused = client.post("/login/verify/", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert paused.url == "/login/" and client.get("/console/").status_code == 302


def test_the_browser_that_enrolled_is_trusted_for_the_name(staff):
    client = Client()
    enrol_at_first_login(client)
    assert "idp_device" in client.cookies


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_never_compare_more_codes_than_the_hourly_limit(monkeypatch):
    """Issue 25: under parallel requests 12 codes were compared for a limit of 10."""
    from idp.accounts import mfa, mfa_views
    from tests.concurrency import run_together

    account = factories.staff("mfa_racer")
    secret = mfa.new_secret()
    mfa.enrol(account, secret, pyotp.TOTP(secret).now())
    clients = []
    for _ in range(20):
        client = Client()
        assert login(client, "mfa_racer").url == "/login/verify/"
        clients.append(client)
    compared = []
    real = mfa.verify

    def slow_verify(*args):
        compared.append(1)
        time.sleep(0.05)  # widens the window between the check and the count
        return real(*args)

    monkeypatch.setattr(mfa, "verify", slow_verify)
    run_together(*[(lambda c=c: c.post("/login/verify/", {"code": "00000x"})) for c in clients])
    assert 0 < len(compared) <= mfa_views.MAX_FAILURES_PER_HOUR


def test_a_session_from_before_the_account_became_staff_must_log_in_again(client):
    """Issue 25 N7: a session already signed in when its account became staff opened the console
    without the second factor."""
    account = factories.natural_account("promoted_later")
    client.force_login(account)  # a citizen's login: no second factor
    assert client.get("/console/").status_code == 403
    account.is_staff = account.is_superuser = True
    account.save()
    for path in ("/console/", "/admin/", "/admin/sso/client/"):
        response = client.get(path, follow=True)
        assert response.redirect_chain and response.redirect_chain[-1][0].startswith("/login/"), path
        assert "请重新登录并完成两步验证" in response.content.decode()


def test_a_signed_in_person_without_the_right_is_told_so_at_the_admin(client):
    """Issue 25: /admin/ showed a signed-in citizen a login form instead of 无权限 (CONTRACT)."""
    client.force_login(factories.natural_account("just_a_citizen"))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403 and "无权限" in response.content.decode()
