"""The OpenID Connect provider through HTTP: the flows, and the protocol's error for each
kind of bad input."""

import base64
import json
import time

import pytest
from django.conf import settings
from django.db.utils import OperationalError
from django.test import Client
from joserfc import jwt

from idp.oidc import server
from idp.oidc.models import Authorization, RefreshToken
from idp.sso import claims, keys
from tests import factories
from tests.sso import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def rp():
    return helpers.oidc_client()


@pytest.fixture
def person(client):
    account = factories.natural_account(name="张三")
    client.force_login(account)
    return account


def _code(client, rp, **extra):
    verifier, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge, **extra)
    assert response.status_code == 302, response.content[:300]
    query = helpers.query_of(response["Location"])
    return query, verifier


def _exchange(client, rp, code, verifier, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": helpers.REDIRECT,
            "code_verifier": verifier, **extra}
    return client.post("/oidc/token", data, HTTP_AUTHORIZATION=helpers.basic(rp))


def _tokens(client, rp):
    query, verifier = _code(client, rp)
    response = _exchange(client, rp, query["code"], verifier)
    assert response.status_code == 200, response.content
    return response.json()


def _introspect(client, rp, token, **extra):
    return client.post("/oidc/introspect", {"token": token, **extra}, HTTP_AUTHORIZATION=helpers.basic(rp)).json()


def test_discovery_names_every_endpoint_under_one_issuer(client, settings):
    settings.IDP_ISSUER = "https://idp.example.gov.cn"
    document = client.get("/.well-known/openid-configuration").json()
    assert document["issuer"] == "https://idp.example.gov.cn"
    for name in ("authorization", "token", "userinfo", "introspection", "revocation", "end_session"):
        assert document[f"{name}_endpoint"].startswith("https://idp.example.gov.cn/oidc/")
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(document["token_endpoint_auth_methods_supported"])
    assert document["backchannel_logout_supported"] is True


def test_code_flow_issues_id_token_access_token_and_refresh_token(client, rp, person):
    query, verifier = _code(client, rp)
    assert query["state"] == "s-1"
    response = _exchange(client, rp, query["code"], verifier)
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and isinstance(body["expires_in"], int)
    assert body["scope"] == "openid profile"
    id_token = jwt.decode(body["id_token"], keys.public_keys(), algorithms=["RS256"])
    assert id_token.header["kid"] in {k["kid"] for k in json.loads(keys.jwks_json())["keys"]}
    assert id_token.claims["iss"] == "http://127.0.0.1:8000"
    assert id_token.claims["aud"] == [rp.client.client_id]
    assert id_token.claims["nonce"] == "n-1"
    assert id_token.claims["sub"] == claims.subject(person) != person.login_name
    assert id_token.claims["name"] == "张三" and id_token.claims["account_type"] == "natural"
    assert id_token.claims["sid"] and isinstance(id_token.claims["auth_time"], int)
    assert person.login_name not in json.dumps(id_token.claims, ensure_ascii=False)


def test_es256_id_tokens_for_clients_that_choose_them(client, person):
    rp = helpers.oidc_client("rp-es", id_token_alg="ES256")
    body = _tokens(client, rp)
    token = jwt.decode(body["id_token"], keys.public_keys(), algorithms=["ES256"])
    assert token.header["alg"] == "ES256"


def test_userinfo_gives_the_same_facts(client, rp, person):
    body = _tokens(client, rp)
    info = client.get("/oidc/userinfo", HTTP_AUTHORIZATION="Bearer " + body["access_token"]).json()
    assert info == claims.identity_claims(person)


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer a.b.c"])
def test_userinfo_with_a_token_that_is_not_valid_is_401_invalid_token(client, header):
    response = client.get("/oidc/userinfo", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="http://127.0.0.1:8000", error="invalid_token"'
    assert response.json() == {"error": "invalid_token"}


@pytest.mark.parametrize("header", ["", "Basic Zm9vOmJhcg=="])
def test_userinfo_without_any_token_is_401_without_an_error_code(client, header):
    """Issue 25 D12 (RFC 6750 §3.1): a request with no token gets the bare challenge."""
    response = client.get("/oidc/userinfo", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="http://127.0.0.1:8000"'
    assert "error" not in response.json()


def test_unregistered_redirect_uri_is_never_redirected_to(client, rp, person):
    _, challenge = helpers.pkce_pair()
    for uri in ("https://evil.example/cb", helpers.REDIRECT + "/more", helpers.REDIRECT + "?x=1"):
        response = helpers.authorize(client, rp, challenge=challenge, redirect_uri=uri)
        assert response.status_code == 400
        assert "Location" not in response
        assert "单点登录请求无效" in response.content.decode()


def test_unknown_client_gets_an_error_page(client, person):
    response = client.get("/oidc/authorize", {"client_id": "nobody", "response_type": "code",
                                              "redirect_uri": helpers.REDIRECT})
    assert response.status_code == 400 and "Location" not in response


def test_public_clients_must_use_pkce(client, person):
    rp = helpers.oidc_client("rp-public", public=True)
    response = client.get("/oidc/authorize", {"client_id": rp.client.client_id, "response_type": "code",
                                              "redirect_uri": helpers.REDIRECT, "scope": "openid"})
    answer = helpers.query_of(response["Location"])  # no code without a challenge (issue 12, item 4)
    assert answer["error"] == "invalid_request" and "code" not in answer


def test_wrong_pkce_verifier_is_invalid_grant(client, rp, person):
    query, _ = _code(client, rp)
    response = _exchange(client, rp, query["code"], "x" * 50)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_reused_code_fails_and_revokes_what_it_issued(client, rp, person):
    query, verifier = _code(client, rp)
    first = _exchange(client, rp, query["code"], verifier).json()
    assert _introspect(client, rp, first["access_token"])["active"] is True
    again = _exchange(client, rp, query["code"], verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert _introspect(client, rp, first["access_token"]) == {"active": False}
    refreshed = client.post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                            HTTP_AUTHORIZATION=helpers.basic(rp))
    assert refreshed.json()["error"] == "invalid_grant"


def test_a_code_is_for_the_client_it_was_issued_to(client, rp, person):
    other = helpers.oidc_client("rp-other")
    query, verifier = _code(client, rp)
    response = _exchange(client, other, query["code"], verifier)
    assert response.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(client, rp, person):
    first = _tokens(client, rp)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = client.post("/oidc/token", refresh, HTTP_AUTHORIZATION=helpers.basic(rp)).json()
    assert second["refresh_token"] != first["refresh_token"] and "access_token" in second
    assert _introspect(client, rp, second["access_token"])["active"] is True
    reused = client.post("/oidc/token", refresh, HTTP_AUTHORIZATION=helpers.basic(rp))
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert _introspect(client, rp, second["access_token"]) == {"active": False}
    third = client.post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
                        HTTP_AUTHORIZATION=helpers.basic(rp))
    assert third.json()["error"] == "invalid_grant"
    assert Authorization.objects.get().revoke_reason == "refresh_reuse"


def test_a_refresh_retried_after_a_failed_answer_gets_the_rotation_it_missed(client, rp, person, monkeypatch):
    """The rotation committed, then the request failed (a failover's 503): the client retries with the
    same token and gets a rotation; the successor it never saw is spent — one chain, not two."""
    first = _tokens(client, rp)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    real, failing = server._principal_for, [True]

    def fails_once(*args):
        if failing and failing.pop():
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args)

    monkeypatch.setattr(server, "_principal_for", fails_once)
    failed = Client(raise_request_exception=False).post("/oidc/token", refresh, HTTP_AUTHORIZATION=helpers.basic(rp))
    assert failed.status_code == 503 and failed["Retry-After"]
    lost = RefreshToken.objects.filter(used_at__isnull=True).get()  # committed: the answer carried it not
    retried = client.post("/oidc/token", refresh, HTTP_AUTHORIZATION=helpers.basic(rp))
    assert retried.status_code == 200, retried.content
    assert Authorization.objects.get().revoked_at is None
    lost.refresh_from_db()
    assert lost.used_at is not None
    again = client.post("/oidc/token", refresh, HTTP_AUTHORIZATION=helpers.basic(rp))  # a second retry is reuse
    assert again.json()["error"] == "invalid_grant"
    assert Authorization.objects.get().revoke_reason == "refresh_reuse"


def test_client_credentials_for_back_ends(client, rp):
    response = client.post("/oidc/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=helpers.basic(rp))
    body = response.json()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    claims_ = jwt.decode(body["access_token"], keys.public_keys(), algorithms=["ES256"]).claims
    assert claims_["sub"] == rp.client.client_id and "refresh_token" not in body
    post = client.post("/oidc/token", {"grant_type": "client_credentials", "client_id": rp.client.client_id,
                                       "client_secret": rp.secret})
    assert post.status_code == 200


def test_wrong_secret_via_basic_is_401_with_www_authenticate(client, rp):
    bad = "Basic " + base64.b64encode(f"{rp.client.client_id}:wrong".encode()).decode()
    response = client.post("/oidc/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=bad)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["error"] == "invalid_client"
    post = client.post("/oidc/token", {"grant_type": "client_credentials", "client_id": rp.client.client_id,
                                       "client_secret": "wrong"})
    assert post.status_code in (400, 401) and post.json()["error"] == "invalid_client"


def test_unknown_grant_type_and_wrong_method(client, rp):
    response = client.post("/oidc/token", {"grant_type": "password", "username": "a", "password": "b"},
                           HTTP_AUTHORIZATION=helpers.basic(rp))
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
    wrong = client.get("/oidc/token")
    assert wrong.status_code == 405 and wrong.json()["error"] == "invalid_request"
    assert wrong["Content-Type"] == "application/json"


def test_token_endpoint_needs_no_csrf_token(rp):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/oidc/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=helpers.basic(rp))
    assert response.status_code == 200


def test_introspection_and_revocation(client, rp, person):
    body = _tokens(client, rp)
    active = _introspect(client, rp, body["access_token"])
    assert active["active"] is True and active["sub"] == claims.subject(person) and active["client_id"] == "rp-oidc"
    assert _introspect(client, rp, body["refresh_token"], token_type_hint="refresh_token")["active"] is True
    for junk in ("", "abc", "a.b.c", body["access_token"][:-4] + "AAAA"):
        assert _introspect(client, rp, junk) == {"active": False}
    other = helpers.oidc_client("rp-snoop")
    assert _introspect(client, other, body["access_token"]) == {"active": False}

    revoke = client.post("/oidc/revoke", {"token": body["access_token"]}, HTTP_AUTHORIZATION=helpers.basic(rp))
    assert revoke.status_code == 200
    assert _introspect(client, rp, body["access_token"]) == {"active": False}
    assert client.get("/oidc/userinfo", HTTP_AUTHORIZATION="Bearer " + body["access_token"]).status_code == 401
    again = client.post("/oidc/revoke", {"token": body["access_token"]}, HTTP_AUTHORIZATION=helpers.basic(rp))
    unknown = client.post("/oidc/revoke", {"token": "never-issued"}, HTTP_AUTHORIZATION=helpers.basic(rp))
    assert again.status_code == unknown.status_code == 200

    client.post("/oidc/revoke", {"token": body["refresh_token"], "token_type_hint": "refresh_token"},
                HTTP_AUTHORIZATION=helpers.basic(rp))
    refreshed = client.post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                            HTTP_AUTHORIZATION=helpers.basic(rp))
    assert refreshed.json()["error"] == "invalid_grant"


def test_introspection_needs_client_authentication(client, rp):
    response = client.post("/oidc/introspect", {"token": "x"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_expired_access_tokens_are_inactive(client, rp, person, settings):
    settings.IDP_ACCESS_TOKEN_SECONDS = 1
    body = _tokens(client, rp)
    time.sleep(2.1)
    assert _introspect(client, rp, body["access_token"]) == {"active": False}


def test_prompt_none_without_login_is_login_required(client, rp):
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge, prompt="none")
    assert response.status_code == 302
    assert helpers.query_of(response["Location"])["error"] == "login_required"


def test_not_logged_in_goes_to_the_login_page_and_back(client, rp):
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge)
    assert response.status_code == 302 and response["Location"].startswith("/login/?")
    assert "%2Foidc%2Fauthorize%3F" in response["Location"]


def test_the_login_answers_the_authorization_request_it_interrupted(client, rp):
    """Issue 33: the login POST whose `next` is an authorization request redirects straight to the
    business system with the code — the browser's extra round trip through authorize saved — and
    the code is as good as one authorize gives (exchanged here, for this person, with the login's
    time and method)."""
    from tests.accounts.test_login import login

    person = factories.natural_account(name="王五")
    verifier, challenge = helpers.pkce_pair()
    to_login = helpers.authorize(client, rp, challenge=challenge)
    next_url = helpers.query_of(to_login["Location"])["next"]
    typed_at = int(time.time())
    answer = login(client, person.login_name, next=next_url)
    assert answer.status_code == 302 and answer["Location"].startswith(helpers.REDIRECT + "?")
    query = helpers.query_of(answer["Location"])
    assert query["state"] == "s-1" and query["iss"] == settings.IDP_ISSUER
    body = _exchange(client, rp, query["code"], verifier).json()
    id_token = jwt.decode(body["id_token"], keys.public_keys(), algorithms=["RS256"]).claims
    assert id_token["sub"] == claims.subject(person) and id_token["nonce"] == "n-1"
    assert id_token["auth_time"] >= typed_at and id_token["amr"] == ["pwd"]
    assert client.get("/online/").status_code == 200  # and the platform session began as with any login


@pytest.mark.parametrize("kind", ["consent", "choice"])
def test_a_page_the_authorization_request_shows_is_shown_at_its_own_address_after_the_login(client, kind):
    """What authorize shows a person (consent to a third party, whom to act for) is not answered
    by the login: the login sends the browser to authorize, which shows it at its address (the
    page's form posts back there)."""
    from idp.delegation.services import create_grants
    from tests.accounts.test_login import login

    person = factories.verified(factories.natural_account())
    if kind == "consent":
        rp = helpers.oidc_client("rp-third", first_party=False)
    else:
        rp = helpers.oidc_client("rp-org", allow_natural=True, delegable=True)
        org = factories.verified(factories.legal_account())
        create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    _, challenge = helpers.pkce_pair()
    next_url = helpers.query_of(helpers.authorize(client, rp, challenge=challenge)["Location"])["next"]
    answer = login(client, person.login_name, next=next_url)
    assert answer.status_code == 302 and answer["Location"] == next_url
    page = client.get(next_url)
    assert page.status_code == 200 and ("请求使用您的身份信息" if kind == "consent" else "acting_for") in \
        page.content.decode()


def test_a_login_whose_next_is_a_bad_authorization_request_goes_there_as_before(client, rp):
    """An authorization request authorize refuses on a page (an unknown client) is not answered by
    the login either: the browser is sent to it and sees authorize's error page."""
    from tests.accounts.test_login import login

    person = factories.natural_account()
    next_url = "/oidc/authorize?response_type=code&client_id=nobody&scope=openid"
    answer = login(client, person.login_name, next=next_url)
    assert answer.status_code == 302 and answer["Location"] == next_url
    assert client.get(next_url).status_code == 400


def _auth_time(client, rp, location, verifier) -> int:
    code = helpers.query_of(location)["code"]
    id_token = _exchange(client, rp, code, verifier).json()["id_token"]
    return jwt.decode(id_token, keys.public_keys(), algorithms=["RS256"]).claims["auth_time"]


@pytest.mark.parametrize("asked", [{"prompt": "login"}, {"max_age": "0"}])
def test_a_new_login_asked_for_cannot_be_skipped_by_opening_the_login_pages_link(client, rp, person, asked):
    """Issue 25 N5: prompt=login and max_age were bypassed by opening the login page's `next`
    link directly: the code came with the old auth_time."""
    from tests.accounts.test_login import login

    verifier, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge, **asked)
    assert response["Location"].startswith("/login/?")
    next_url = helpers.query_of(response["Location"])["next"]
    assert list(asked.items())[0] in helpers.query_of(next_url).items()  # the request comes back as it was
    time.sleep(1.1)  # auth_time has whole seconds
    opened = client.get(next_url)
    assert opened["Location"].startswith("/login/?")  # the link alone: asked again, no code
    typed_at = int(time.time())
    answer = login(client, person.login_name, next=next_url)  # the login answers the request itself
    assert _auth_time(client, rp, answer["Location"], verifier) >= typed_at
    if "prompt" in asked:  # one code per password typed: the same request asks again
        assert client.get(next_url)["Location"].startswith("/login/?")


def test_systems_needing_verification_send_unverified_users_to_my_profile(client, person):
    rp = helpers.oidc_client("rp-verified", requires_realname=True)
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge)
    assert response.status_code == 302 and response["Location"] == "/online/profile/"
    page = client.get("/online/profile/").content.decode()
    assert "需要先完成实名认证" in page
    factories.verified(person)
    assert "code=" in helpers.authorize(client, rp, challenge=challenge)["Location"]


def test_acting_for_an_organisation(client):
    from idp.delegation.services import create_grants

    rp = helpers.oidc_client("rp-org", allow_natural=False, delegable=True)
    person = factories.verified(factories.natural_account(name="李四"))
    org = factories.verified(factories.legal_account(name="星火科技有限公司"))
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    client.force_login(person)
    verifier, challenge = helpers.pkce_pair()
    chooser = helpers.authorize(client, rp, challenge=challenge)
    assert chooser.status_code == 200 and "星火科技有限公司" in chooser.content.decode()
    url = chooser.wsgi_request.get_full_path()
    chosen = client.post(url, {"acting_for": "999999"})
    assert chosen.status_code == 200  # not one of the choices: asked again
    chosen = client.post(url, {"acting_for": str(org.pk)})
    code = helpers.query_of(chosen["Location"])["code"]
    body = _exchange(client, rp, code, verifier).json()
    id_token = jwt.decode(body["id_token"], keys.public_keys(), algorithms=["RS256"]).claims
    assert id_token["sub"] == claims.subject(org) and id_token["org_name"] == "星火科技有限公司"
    assert id_token["uscc"] == org.organisation.uscc and id_token["account_type"] == "legal"
    assert id_token["act"] == {"sub": claims.subject(person), "account_type": "natural", "name": "李四",
                               "realname_status": "registry_passed"}
    assert _introspect(client, rp, body["access_token"])["act"]["name"] == "李四"


def test_a_person_without_a_grant_is_refused_an_organisation_system(client, person):
    rp = helpers.oidc_client("rp-orgonly", allow_natural=False, delegable=True)
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge)
    assert response.status_code == 403 and "用户授权管理" in response.content.decode()


def test_a_withdrawn_grant_stops_refreshing(client):
    from idp.delegation.models import Grant
    from idp.delegation.services import create_grants

    rp = helpers.oidc_client("rp-org2", allow_natural=False, delegable=True)
    person = factories.verified(factories.natural_account())
    org = factories.verified(factories.legal_account())
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    client.force_login(person)
    verifier, challenge = helpers.pkce_pair()
    url = helpers.authorize(client, rp, challenge=challenge).wsgi_request.get_full_path()
    code = helpers.query_of(client.post(url, {"acting_for": str(org.pk)})["Location"])["code"]
    body = _exchange(client, rp, code, verifier).json()
    Grant.objects.update(status="revoked")
    refreshed = client.post("/oidc/token", {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
                            HTTP_AUTHORIZATION=helpers.basic(rp))
    assert refreshed.json()["error"] == "invalid_grant"
    assert _introspect(client, rp, body["access_token"]) == {"active": False}


def test_malformed_authorize_requests_are_4xx(client, rp, person):
    for params in ({}, {"client_id": rp.client.client_id}, {"client_id": "x" * 5000, "response_type": "code"},
                   {"client_id": rp.client.client_id, "response_type": "token", "redirect_uri": helpers.REDIRECT}):
        response = client.get("/oidc/authorize", params)
        assert 300 <= response.status_code < 500


def test_logout_revokes_the_sessions_tokens(client, rp, person):
    body = _tokens(client, rp)
    client.post("/logout/")
    assert _introspect(client, rp, body["access_token"]) == {"active": False}
    assert RefreshToken.objects.get().authorization.revoke_reason == "session_ended"


def test_third_party_systems_ask_for_consent_first_party_do_not(client, person):
    rp = helpers.oidc_client("rp-third", first_party=False)
    _, challenge = helpers.pkce_pair()
    page = helpers.authorize(client, rp, challenge=challenge)
    assert page.status_code == 200 and "请求使用您的身份信息" in page.content.decode()
    url = page.wsgi_request.get_full_path()
    denied = client.post(url, {"acting_for": "self", "consent": "deny"})
    assert helpers.query_of(denied["Location"])["error"] == "access_denied"
    allowed = client.post(url, {"acting_for": "self", "consent": "allow"})
    assert "code" in helpers.query_of(allowed["Location"])


def test_the_choice_made_at_the_service_entrance_is_not_asked_again(client):
    from idp.delegation.services import create_grants
    from idp.sso import access

    rp = helpers.oidc_client("rp-entrance", allow_natural=False, delegable=True)
    person = factories.verified(factories.natural_account())
    org = factories.verified(factories.legal_account())
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    client.force_login(person)
    session = client.session
    session[access.PRESELECT_KEY] = {rp.system.code: str(org.pk)}
    session.save()
    _, challenge = helpers.pkce_pair()
    response = helpers.authorize(client, rp, challenge=challenge)
    assert response.status_code == 302 and "code=" in response["Location"]
    assert helpers.authorize(client, rp, challenge=challenge).status_code == 200  # asked next time
