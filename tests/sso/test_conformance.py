"""Issue 12: what strict OIDC clients rely on — prompt=none never shows a page, PKCE is S256
only, request objects and other response modes are refused, and every authorization
response names the issuer (RFC 9207)."""

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


# --- item 1: prompt=none -------------------------------------------------------------------------

def test_prompt_none_signed_out_is_login_required(client):
    rp = helpers.oidc_client("rp-silent")
    answer = silent(client, rp)
    assert answer["error"] == "login_required" and answer["state"] == "s-1" and answer["iss"] == ISSUER


def test_prompt_none_signed_in_gets_a_code_silently(client, person):
    answer = silent(client, helpers.oidc_client("rp-silent"))
    assert "code" in answer and answer["iss"] == ISSUER


def test_prompt_none_with_a_whom_to_act_for_choice_is_account_selection_required(client, person):
    rp = helpers.oidc_client("rp-choice", delegable=True)
    org = factories.verified(factories.legal_account(name="选择科技有限公司"))
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    assert silent(client, rp)["error"] == "account_selection_required"


def test_prompt_none_for_a_third_party_is_consent_required(client, person):
    rp = helpers.oidc_client("rp-third", first_party=False)
    assert silent(client, rp)["error"] == "consent_required"


def test_prompt_none_for_a_kind_not_admitted_is_login_required(client, person):
    rp = helpers.oidc_client("rp-orgs", allow_natural=False)
    assert silent(client, rp)["error"] == "login_required"


def test_prompt_none_without_real_name_verification_is_interaction_required(client):
    client.force_login(factories.natural_account())
    rp = helpers.oidc_client("rp-verified", requires_realname=True)
    assert silent(client, rp)["error"] == "interaction_required"


def test_prompt_none_past_max_age_is_login_required(client, person):
    assert silent(client, helpers.oidc_client("rp-age"), max_age="0")["error"] == "login_required"


# --- item 4: PKCE --------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [{"code_challenge_method": "plain"}, {"code_challenge_method": None}])
def test_plain_pkce_is_refused(client, person, extra):
    rp = helpers.oidc_client("rp-pkce")
    params = {"response_type": "code", "client_id": "rp-pkce", "redirect_uri": helpers.REDIRECT, "scope": "openid",
              "state": "s-2", "code_challenge": "x" * 43, "code_challenge_method": "plain", **extra}
    answer = helpers.query_of(client.get("/oidc/authorize", {k: v for k, v in params.items() if v})["Location"])
    assert answer["error"] == "invalid_request" and "code" not in answer and rp.client.is_public is False


# --- item 8: request objects, response modes, iss ------------------------------------------------

@pytest.mark.parametrize(("extra", "error"), [
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    ({"request_uri": "https://rp.example.test/req"}, "request_uri_not_supported"),
    ({"response_mode": "fragment"}, "invalid_request"),
    ({"response_mode": "form_post"}, "invalid_request"),
])
def test_unsupported_request_features_are_refused_not_ignored(client, person, extra, error):
    rp = helpers.oidc_client("rp-strict")
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge, **extra)
    answer = helpers.query_of(response["Location"])
    assert answer["error"] == error and answer["iss"] == ISSUER and "code" not in answer


def test_discovery_advertises_iss_and_only_query(client):
    document = client.get("/.well-known/openid-configuration").json()
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["response_modes_supported"] == ["query"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["request_parameter_supported"] is False


# --- items 2 and 6: CAS renew and isFromNewLogin -------------------------------------------------

def _cas_attributes(client, ticket, **params):
    from tests.sso.test_cas import NS, _xml
    root = _xml(client.get("/cas/p3/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket, **params}))
    success = root.find("cas:authenticationSuccess", NS)
    if success is None:
        return None
    return {child.tag.split("}")[1]: child.text for child in success.find("cas:attributes", NS)}


def _log_in_for(client, login_name, next_url):
    from tests.accounts.test_login import login
    response = login(client, login_name, next=next_url)
    assert response.status_code == 302, response.content[:300]
    return client.get(response["Location"])


def test_a_password_typed_for_the_cas_login_is_a_new_login_and_sso_is_not(client):
    helpers.cas_client("rp-cas-new")
    account = factories.natural_account()
    asked = client.get("/cas/login", {"service": helpers.SERVICE})
    back = _log_in_for(client, account.login_name, helpers.query_of(asked["Location"])["next"])
    ticket = helpers.query_of(back["Location"])["ticket"]
    assert _cas_attributes(client, ticket)["isFromNewLogin"] == "true"
    again = helpers.query_of(client.get("/cas/login", {"service": helpers.SERVICE})["Location"])["ticket"]
    assert _cas_attributes(client, again)["isFromNewLogin"] == "false"  # single sign-on


def test_renew_is_not_satisfied_by_a_login_made_for_another_system(client):
    """The attack: sign in through an OIDC client, then 20 s later CAS renew=true."""
    oidc = helpers.oidc_client("rp-oidc-first")
    helpers.cas_client("rp-cas-renew")
    account = factories.natural_account()
    _, challenge = helpers.pkce_pair()
    asked = helpers.authorize(client, oidc, challenge=challenge)
    assert "code" in helpers.query_of(_log_in_for(client, account.login_name,
                                                  helpers.query_of(asked["Location"])["next"])["Location"])
    renew = client.get("/cas/login", {"service": helpers.SERVICE, "renew": "true"})
    assert renew["Location"].startswith("/login/?")  # credentials again, not a ticket
    back = _log_in_for(client, account.login_name, helpers.query_of(renew["Location"])["next"])
    ticket = helpers.query_of(back["Location"])["ticket"]
    attributes = _cas_attributes(client, ticket, renew="true")
    assert attributes is not None and attributes["isFromNewLogin"] == "true"


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
    from idp.sso import logout
    from idp.sso.models import LogoutDelivery
    assert logout.lease_seconds(50, 10) >= 500  # a whole batch of slow sends fits in the lease
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

    monkeypatch.setattr(logout, "_send", slow_first_worker)
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


# --- item 9: CAS attribute names that survive Apache ----------------------------------------------

def test_cas_attributes_also_come_in_camel_case(client, person):
    helpers.cas_client("rp-cas-camel", delegable=True)
    org = factories.verified(factories.legal_account(name="驼峰科技有限公司"))
    from idp.catalogue.models import BusinessSystem
    create_grants(organisation=org, person=person, systems=[BusinessSystem.objects.get(code="rp-cas-camel")],
                  expires_on=None, actor=org)
    response = client.post(f"/cas/login?service={helpers.SERVICE}", {"acting_for": str(org.pk)})
    attributes = _cas_attributes(client, helpers.query_of(response["Location"])["ticket"])
    for snake, camel in (("account_type", "accountType"), ("org_name", "orgName"), ("legal_type", "legalType"),
                         ("realname_status", "realnameStatus"), ("act_sub", "actSub"), ("act_name", "actName")):
        assert attributes[camel] == attributes[snake], camel
    assert attributes["orgName"] == "驼峰科技有限公司" and attributes["actName"] == "张三"


# --- item 10: robustness ---------------------------------------------------------------------------

def test_unknown_client_ids_do_not_grow_the_client_cache():
    from idp.sso import clients
    clients.invalidate()
    for n in range(3000):
        assert clients.by_client_id(f"random-{n}") is None
    assert len(clients._cache) == 0
    helpers.oidc_client("random-7")  # registered after it was asked for: found at once
    assert clients.by_client_id("random-7") is not None
    assert len(clients._cache) <= clients.CACHE_ENTRIES


def test_the_revocation_copy_catches_up_after_a_silent_reconnect():
    """redis-py re-subscribes by itself when the connection drops; an announcement made in the
    gap is lost — the key it wrote is not, and the copy loads the keys again."""
    import time

    from django.conf import settings

    from idp.core import broadcast
    from idp.oidc import revocation
    from idp.sso import store
    if not settings.REDIS_URL:
        pytest.skip("SKIPPED: needs Redis — run with IDP_REDIS_URL=redis://… (.ci/run does)")
    r = store.redis_client()
    assert revocation.is_revoked("nothing", None) is False  # starts this process's listener
    deadline = time.time() + 10
    while not broadcast._listener.ready and time.time() < deadline:
        time.sleep(0.05)
    assert broadcast._listener.ready
    generation = revocation._copy.generation
    r.client_kill_filter(_type="pubsub")  # the listener's connection drops ...
    r.set(revocation._key("j", "lost-in-the-gap"), 1, ex=60)  # ... while a revocation is announced
    deadline = time.time() + 10
    while not (broadcast._listener.ready and revocation._copy.generation > generation) and time.time() < deadline:
        time.sleep(0.05)  # the listener noticed, re-subscribed and caught up
    assert revocation.is_revoked("lost-in-the-gap", None)
    assert revocation._copy.loaded and revocation._copy.revoked("lost-in-the-gap", None)
