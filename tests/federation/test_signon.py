"""Sign-in with an upstream identity provider, against a real one: node's oidc-provider standing
for the national platform (tests/federation/upstream.py). The platform is driven through its
pages with Django's test client; the browser's steps at the upstream with `requests`."""

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth import SESSION_KEY

from idp.accounts.models import NaturalPerson, RealNameStatus
from idp.audit.models import AuditEntry, Event
from idp.federation.models import FederatedIdentity, UpstreamSession
from idp.sso.models import SsoSession
from tests import factories
from tests.accounts.test_login import login
from tests.accounts.test_registration import natural_data
from tests.federation.upstream import (
    LI_ID,
    ORG_USCC,
    WANG_ID,
    ZHANG_ID,
    Upstream,
    local,
    sign_out_at_upstream,
    through_upstream,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def upstream(tmp_path, settings, receiver):
    server = Upstream(tmp_path, platform=settings.IDP_ISSUER, backchannel=receiver.url + "/backchannel")
    yield server
    server.stop()


def verified_person(login_name, id_number, **fields):
    """An account here, real-name verified with that number (as the registry leaves it)."""
    account = factories.verified(factories.natural_account(login_name, id_number=id_number, **fields))
    NaturalPerson.objects.filter(account=account).update(verified_id_index=account.person.id_index)
    return account


def federated_login(client, person, *, kind="natural", next_url="", **options):
    query = f"?kind={kind}" + (f"&next={next_url}" if next_url else "")
    start = client.get("/federation/nation/login" + query)
    assert start.status_code == 302, start.content
    callback, browser = through_upstream(start["Location"], person, **options)
    return client.get(local(callback)), browser


def captcha_key() -> str:
    return CaptchaStore.objects.order_by("-id").first().hashkey


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def test_login_page_has_a_button_under_each_tab_the_upstream_serves(client, upstream):
    upstream.register(kinds="natural")
    natural = client.get("/login/?tab=natural").content.decode()
    legal = client.get("/login/?tab=legal").content.decode()
    assert "使用国家政务服务平台登录" in natural and "/federation/nation/login?kind=natural" in natural
    assert "使用国家政务服务平台登录" not in legal


def test_first_login_links_the_verified_account_holding_the_number(client, upstream):
    upstream.register()
    account = verified_person("zhang_here", ZHANG_ID)
    response, _ = federated_login(client, "zhang", next_url="/online/profile/")
    assert response.status_code == 302 and response["Location"] == "/online/profile/"
    assert signed_in_as(client) == str(account.pk)
    link = FederatedIdentity.objects.get(account=account)
    assert (link.subject, link.how) == ("zhang", "number")
    assert AuditEntry.objects.filter(event=Event.FEDERATION_LINKED, account=account).count() == 1
    assert any(m["phone"] == account.phone and m["purpose"] == "federation_linked"
               for m in factories.outbox_messages())
    page = client.get("/online/profile/").content.decode()
    assert "您的账号已与国家政务服务平台关联" in page and "已关联的外部账号" in page
    # The SSO session says how the login was proven, and knows the upstream's session.
    assert client.session["login_methods"] == ["fed"]
    session = SsoSession.objects.get(account=account, ended_at__isnull=True)
    assert UpstreamSession.objects.get(sso_session=session).sid

    client.post("/logout/")
    again, _ = federated_login(client, "zhang")
    assert again.status_code == 302 and signed_in_as(client) == str(account.pk)
    assert FederatedIdentity.objects.count() == 1
    assert AuditEntry.objects.filter(event=Event.FEDERATION_LINKED).count() == 1  # linked once, told once


def test_an_untrusted_upstream_never_links_by_itself(client, upstream):
    upstream.register(trusted=False)
    verified_person("zhang_here", ZHANG_ID)
    response, _ = federated_login(client, "zhang")
    assert response["Location"] == "/federation/link/"
    assert signed_in_as(client) is None and not FederatedIdentity.objects.exists()


def test_an_unverified_claim_does_not_link(client, upstream):
    upstream.register()
    verified_person("li_here", LI_ID)  # the upstream says li's number is not verified there
    response, _ = federated_login(client, "li")
    assert response["Location"] == "/federation/link/" and signed_in_as(client) is None


@pytest.mark.parametrize("state", ["unverified", "under_review", "disabled", "locked"])
def test_a_number_held_by_an_account_that_may_not_be_entered_does_not_link(client, upstream, settings, state):
    upstream.register()
    account = verified_person("zhang_here", ZHANG_ID)
    if state in ("unverified", "under_review"):
        account.realname_status = (RealNameStatus.UNVERIFIED if state == "unverified"
                                   else RealNameStatus.PENDING_REVIEW)
        account.save()
    elif state == "disabled":
        account.is_active = False
        account.save()
    else:
        for _ in range(settings.IDP_LOGIN_LOCK_FAILURES):
            login(client, "zhang_here", "wrong")
    response, _ = federated_login(client, "zhang")
    assert response["Location"] == "/federation/link/" and signed_in_as(client) is None
    assert not FederatedIdentity.objects.exists()


def test_the_person_links_an_account_by_its_password(client, upstream):
    upstream.register()
    account = factories.natural_account("wang_here")
    federated_login(client, "wang")
    page = client.get("/federation/link/").content.decode()
    assert "王五" in page and WANG_ID not in page  # the number is masked
    assert WANG_ID not in str(dict(client.session.items()))  # and sealed in the session store
    wrong = client.post("/federation/link/", {"kind": "natural", "login_name": "wang_here", "password": "nope",
                                              "captcha_0": captcha_key(), "captcha_1": "PASSED"})
    assert "登录名或密码错误" in wrong.content.decode() and not FederatedIdentity.objects.exists()
    client.get("/federation/link/")
    right = client.post("/federation/link/", {"kind": "natural", "login_name": "wang_here",
                                              "password": factories.PASSWORD, "captcha_0": captcha_key(),
                                              "captcha_1": "PASSED"})
    assert right.status_code == 302 and signed_in_as(client) == str(account.pk)
    assert FederatedIdentity.objects.get(account=account).how == "password"
    assert client.session["login_methods"] == ["fed", "pwd"]


def test_the_person_registers_prefilled_and_verified_at_once(client, upstream):
    upstream.register()
    federated_login(client, "wang")
    form = client.get("/federation/register/").content.decode()
    assert "以下信息来自国家政务服务平台" in form and WANG_ID in form and "王五" in form
    data = natural_data(client, login_name="wang_new", name="王五", id_number=WANG_ID, phone="13900000303")
    response = client.post("/federation/register/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    person = NaturalPerson.objects.get(account__login_name="wang_new")
    assert person.account.realname_status == RealNameStatus.REGISTRY_PASSED
    assert person.verified_id_index == person.id_index
    assert FederatedIdentity.objects.get(account=person.account).how == "registration"
    assert signed_in_as(client) == str(person.account.pk)


def test_a_registration_with_another_number_takes_the_normal_verification(client, upstream):
    upstream.register()
    federated_login(client, "wang")
    other = factories.resident_id(area="110101", seq="399")
    client.post("/federation/register/", natural_data(client, login_name="wang_other", id_number=other))
    account = NaturalPerson.objects.get(account__login_name="wang_other").account
    assert account.realname_status != RealNameStatus.REGISTRY_PASSED or not AuditEntry.objects.filter(
        event=Event.REALNAME_PASSED, account=account, detail__source="nation").exists()


def test_a_legal_person_links_by_the_uscc(client, upstream):
    upstream.register()
    account = factories.verified(factories.legal_account("org_here", code=ORG_USCC))
    response, _ = federated_login(client, "org", kind="legal")
    assert response.status_code == 302 and signed_in_as(client) == str(account.pk)


def test_a_forged_state_is_refused(client, upstream):
    upstream.register()
    verified_person("zhang_here", ZHANG_ID)
    start = client.get("/federation/nation/login")
    callback, _ = through_upstream(start["Location"], "zhang")
    forged = local(callback).replace("state=", "state=forged")
    response = client.get(forged)
    assert response.status_code == 400 and "登录请求已失效" in response.content.decode()
    assert "使用账号密码登录" in response.content.decode() and signed_in_as(client) is None
    # Another browser's answer (its state is not in this session) is refused too.
    stranger = client.__class__()
    assert stranger.get(local(callback)).status_code == 400


def test_a_replayed_code_is_refused(client, upstream):
    upstream.register()
    verified_person("zhang_here", ZHANG_ID)
    start = client.get("/federation/nation/login")
    callback, _ = through_upstream(start["Location"], "zhang")
    assert client.get(local(callback)).status_code == 302
    client.post("/logout/")
    code = local(callback).split("code=")[1].split("&")[0]
    state = client.get("/federation/nation/login")["Location"].split("state=")[1].split("&")[0]
    replay = client.get(f"/federation/nation/callback?code={code}&state={state}&iss={upstream.issuer}")
    assert replay.status_code == 400 and "已使用或已过期" in replay.content.decode()
    assert signed_in_as(client) is None


def test_denied_consent_ends_on_a_page_that_says_so(client, upstream):
    upstream.register()
    response, _ = federated_login(client, "zhang", deny=True)
    assert response.status_code == 400 and "您已取消在 国家政务服务平台 的登录" in response.content.decode()


def test_an_upstream_that_is_down_is_a_page_not_a_500(client, upstream):
    upstream.register()
    upstream.stop()
    from django.core.cache import cache

    cache.clear()  # nothing of it kept
    response = client.get("/federation/nation/login")
    assert response.status_code == 400 and "暂时无法访问" in response.content.decode()


def test_a_rotated_upstream_key_is_fetched(client, upstream):
    upstream.register()
    account = verified_person("zhang_here", ZHANG_ID)
    federated_login(client, "zhang")
    client.post("/logout/")
    upstream.rotate("upstream-2")  # our copy of its JWKS knows only the old key
    response, _ = federated_login(client, "zhang")
    assert response.status_code == 302 and signed_in_as(client) == str(account.pk)


def test_the_upstreams_back_channel_logout_ends_our_session(client, upstream, receiver):
    upstream.register()
    account = verified_person("zhang_here", ZHANG_ID)
    _, browser = federated_login(client, "zhang")
    sign_out_at_upstream(upstream, browser)
    [(path, form)] = [(p, f) for p, f in receiver.posts if p == "/backchannel"]
    token = form["logout_token"]
    assert client.post("/federation/nation/backchannel-logout", {"logout_token": token}).status_code == 200
    assert not SsoSession.objects.filter(account=account, ended_at__isnull=True).exists()
    assert client.get("/online/").status_code == 302  # this browser is signed out
    # The same token again is a replay.
    assert client.post("/federation/nation/backchannel-logout", {"logout_token": token}).status_code == 400
    assert client.post("/federation/nation/backchannel-logout", {"logout_token": "x.y.z"}).status_code == 400


def test_logging_out_here_ends_the_upstream_session_too(client, upstream):
    upstream.register()
    verified_person("zhang_here", ZHANG_ID)
    federated_login(client, "zhang")
    response = client.post("/logout/")
    assert response["Location"].startswith(f"{upstream.issuer}/session/end?id_token_hint=")
    assert signed_in_as(client) is None


def test_the_second_factor_is_still_asked(client, upstream):
    upstream.register()
    account = verified_person("zhang_here", ZHANG_ID)
    account.is_staff = True
    account.save()
    response, _ = federated_login(client, "zhang")
    assert response.status_code == 302 and response["Location"] in ("/login/enrol/", "/login/verify/")
    assert signed_in_as(client) is None


def test_unlink_from_my_information(client, upstream):
    upstream.register()
    account = verified_person("zhang_here", ZHANG_ID)
    federated_login(client, "zhang")
    link = FederatedIdentity.objects.get(account=account)
    account.set_unusable_password()
    account.save()
    factories.sign_in(client, account)
    refused = client.post(f"/federation/unlink/{link.pk}", follow=True)
    assert "解除后该账号将无法登录" in refused.content.decode() and FederatedIdentity.objects.exists()
    account.set_password(factories.PASSWORD)
    account.save()
    factories.sign_in(client, account)
    done = client.post(f"/federation/unlink/{link.pk}", follow=True)
    assert "已解除关联" in done.content.decode() and not FederatedIdentity.objects.exists()
    assert AuditEntry.objects.filter(event=Event.FEDERATION_UNLINKED, account=account).exists()
