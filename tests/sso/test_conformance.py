"""Issue 12, single logout: logout tokens name the ID token's subject and are minted when sent,
and a worker whose lease ran out never overwrites a result."""

import pytest

from idp.delegation.services import create_grants
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db
ISSUER = "http://127.0.0.1:8000"


@pytest.fixture
def person(client):
    account = factories.verified(factories.natural_account(name="张三"))
    client.force_login(account)
    return account


def silent(client, rp, **extra):
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge, prompt="none", **extra)
    assert response.status_code == 302, response.content[:200]  # never a page
    assert response["Location"].startswith(helpers.REDIRECT)
    return helpers.query_of(response["Location"])


# --- items 3, 5 and the worker lease (10): single logout -------------------------------------------

def _sign_on_acting_for(client, person, rp):
    org = factories.verified(factories.legal_account(name="登出科技有限公司"))
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    verifier, challenge = helpers.pkce_pair()
    url = helpers.authorize(client, rp, challenge=challenge).wsgi_request.get_full_path()
    code = helpers.query_of(client.post(url, {"acting_for": str(org.pk)})["Location"])["code"]
    tokens = client.post("/oidc/token", {"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                         "redirect_uri": helpers.REDIRECT}, HTTP_AUTHORIZATION=helpers.basic(rp)).json()
    return org, tokens


def _claims(token):
    from joserfc import jwt

    from idp.sso import keys
    return jwt.decode(token, keys.public_keys(), algorithms=["RS256"]).claims


def test_the_logout_token_names_the_subject_of_the_id_token(client, person, receiver, queued):
    from idp.sso import logout
    rp = helpers.oidc_client("rp-slo-org", delegable=True, backchannel_logout_uri=receiver.url + "/bc")
    org, tokens = _sign_on_acting_for(client, person, rp)
    id_token = _claims(tokens["id_token"])
    client.post("/logout/")
    assert logout.deliver_due() == 1
    logout_token = _claims(receiver.posts[0][1]["logout_token"])
    assert logout_token["sub"] == id_token["sub"] and logout_token["sid"] == id_token["sid"]


def test_a_retried_logout_token_is_minted_when_sent(client, person, receiver, queued, monkeypatch):
    import time

    from idp.sso import logout
    from idp.sso.models import LogoutDelivery
    rp = helpers.oidc_client("rp-slo-retry", backchannel_logout_uri=receiver.url + "/bc")
    _, challenge = helpers.pkce_pair()
    helpers.authorize(client, rp, challenge=challenge)
    client.post("/logout/")
    receiver.status = 500
    assert logout.deliver_due() == 0
    receiver.status = 200
    later = time.time() + sum(logout.RETRY_DELAYS)  # the last retry of the schedule
    monkeypatch.setattr(logout.time, "time", lambda: later)
    LogoutDelivery.objects.update(next_attempt_at=LogoutDelivery.objects.get().created_at)
    assert logout.deliver_due() == 1
    retried = _claims(receiver.posts[-1][1]["logout_token"])
    assert retried["iat"] >= int(later) and retried["exp"] == retried["iat"] + 120


def test_a_worker_whose_lease_ran_out_does_not_overwrite_the_result(client, person, receiver, queued, monkeypatch):
    import dataclasses

    from idp.core import outbox
    from idp.sso import logout
    from idp.sso.models import LogoutDelivery
    assert outbox.lease_seconds(50, 10) >= 500  # a whole batch of slow sends fits in the lease
    rp = helpers.oidc_client("rp-slo-lease", backchannel_logout_uri=receiver.url + "/bc")
    _, challenge = helpers.pkce_pair()
    helpers.authorize(client, rp, challenge=challenge)
    client.post("/logout/")
    real_send, calls = logout._send, []

    def slow_first_worker(delivery, timeout):
        calls.append(delivery.pk)
        if len(calls) == 1:  # worker A is still sending when its lease runs out ...
            LogoutDelivery.objects.update(next_attempt_at=delivery.created_at)
            assert logout.deliver_due() == 1  # ... and worker B delivers it
            raise TimeoutError("worker A's send finally times out")
        real_send(delivery, timeout)

    monkeypatch.setattr(logout, "OUTBOX", dataclasses.replace(logout.OUTBOX, send=slow_first_worker))
    assert logout.deliver_due() == 0
    delivery = LogoutDelivery.objects.get()
    assert delivery.delivered_at is not None and delivery.attempts == 1 and delivery.last_error == ""


# --- item 7: the back-channel logout URI -----------------------------------------------------------

@pytest.mark.parametrize("uri", ["javascript:alert(1)", "https://", "ftp://rp.example.test/bc",
                                 "https://rp.example.test/bc#frag", "/relative/bc"])
def test_a_back_channel_uri_must_be_an_absolute_http_url(uri):
    from django.core.management import CommandError, call_command
    with pytest.raises(CommandError, match="地址无效"):
        call_command("register_business_system", "--name", "坏地址系统", "--protocol", "oidc", "--code", "bad-bc",
                     "--redirect-uri", helpers.REDIRECT, "--backchannel-logout-uri", uri)


def test_the_console_refuses_it_too(client):
    operator = factories.natural_account("bc_operator")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    factories.sign_in(client, operator)
    system = factories.demo_systems()["hgrag"]
    response = client.post("/admin/sso/client/add/", {
        "system": system.pk, "client_id": "bc-bad", "redirect_uris": helpers.REDIRECT, "post_logout_redirect_uris": "",
        "backchannel_logout_uri": "javascript:alert(1)", "id_token_alg": "RS256", "service_pattern": ""})
    assert "backchannel_logout_uri" in response.context["adminform"].form.errors


def test_production_wants_https_except_on_loopback(settings):
    from idp.sso import clients
    settings.IDP_PRODUCTION = True
    with pytest.raises(clients.RegistrationError, match="https"):
        clients.check_uri("http://rp.example.test/bc")
    clients.check_uri("http://127.0.0.1:8001/bc")
    clients.check_uri("https://rp.example.test/bc")


