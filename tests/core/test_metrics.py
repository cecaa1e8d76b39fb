"""GET /metrics (CONTRACT.md, Operations): the counts move with what the platform does, and
only the allowed scraper may read them."""

import re

import pytest
from captcha.models import CaptchaStore
from prometheus_client.parser import text_string_to_metric_families

from idp.notify import otp
from idp.realname.models import Submission
from tests import factories
from tests.sso import helpers
from tests.wsgi import call

pytestmark = pytest.mark.django_db


def scrape(**headers) -> dict:
    status, _, body = call("GET", "/metrics", **headers)
    assert status == 200, body
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body.decode()) for sample in family.samples}


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_the_counts_move_with_requests_tokens_logins_sms_and_the_review_queue(client):
    before = scrape()
    rp = helpers.oidc_client()
    for _ in range(3):  # the machine endpoints are counted
        call("POST", "/oidc/token", b"grant_type=client_credentials", Authorization=helpers.basic(rp))
    call("POST", "/oidc/token", b"grant_type=client_credentials")  # no client: 401
    account = factories.natural_account(name="张三")
    client.get("/login/")
    key = CaptchaStore.objects.order_by("-id").first().hashkey
    client.post("/login/", {"kind": "natural", "login_name": account.login_name, "password": "wrong-password",
                            "captcha_0": key, "captcha_1": "PASSED"})
    otp.send_code(phone="13900001111", purpose="register", ip="10.0.0.1")
    with pytest.raises(otp.CodeError):
        otp.send_code(phone="13900001111", purpose="register", ip="10.0.0.1")  # too soon
    Submission.objects.create(account=account)
    after = scrape()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("idp_http_requests_total", group="oidc_token", status="2xx") == 3
    assert moved("idp_http_requests_total", group="oidc_token", status="4xx") == 1
    assert moved("idp_http_request_duration_seconds_count", group="oidc_token") == 4
    assert moved("idp_token_grants_total", grant_type="client_credentials") == 3
    assert moved("idp_audit_events_total", event="login.failure") == 1
    assert moved("idp_sms_codes_total", outcome="sent") == 1
    assert moved("idp_sms_codes_total", outcome="refused:too_soon") == 1
    assert value(after, "idp_review_queue", kind="verification") == 1
    assert value(after, "idp_review_queue", kind="appeal") == 0
    assert value(after, "idp_logout_deliveries", kind="pending") == 0


def test_only_loopback_in_development_and_only_the_token_when_one_is_set(settings):
    assert call("GET", "/metrics")[0] == 200  # from 127.0.0.1
    assert call("GET", "/metrics", X_Forwarded_For="203.0.113.9")[0] == 403  # relayed by a proxy
    settings.IDP_METRICS_TOKEN = "s3cret-metrics-token"
    assert call("GET", "/metrics")[0] == 403
    assert call("GET", "/metrics", Authorization="Bearer wrong")[0] == 403
    status, headers, body = call("GET", "/metrics", Authorization="Bearer s3cret-metrics-token")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert re.search(rb"^idp_http_requests_total\{", body, re.M)
    settings.IDP_METRICS_TOKEN = ""
    settings.IDP_PRODUCTION = True  # production without a token: nobody
    assert call("GET", "/metrics")[0] == 403
