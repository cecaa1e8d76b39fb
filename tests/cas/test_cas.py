"""The CAS 3.0 server through HTTP: login, the validation endpoints of every version, proxy
tickets, and the protocol's error codes."""

import xml.etree.ElementTree as ET

import pytest

from idp.sso import claims
from tests import factories
from tests.accounts.test_login import login
from tests.sso import helpers

pytestmark = pytest.mark.django_db
NS = {"cas": "http://www.yale.edu/tp/cas"}


@pytest.fixture
def rp():
    return helpers.cas_client()


@pytest.fixture
def person(client):
    account = factories.natural_account(name="王五")
    client.force_login(account)
    return account


def _ticket(client, service=helpers.SERVICE, **params):
    response = client.get("/cas/login", {"service": service, **params})
    assert response.status_code == 302, response.content[:300]
    return helpers.query_of(response["Location"])["ticket"]


def _xml(response):
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def _failure_code(response):
    return _xml(response).find("cas:authenticationFailure", NS).get("code")


def test_login_redirects_to_the_service_with_a_ticket(client, rp, person):
    response = client.get("/cas/login", {"service": helpers.SERVICE})
    assert response["Location"].startswith(helpers.SERVICE + "?ticket=ST-")
    ticket = helpers.query_of(response["Location"])["ticket"]
    assert all(c.isalnum() or c == "-" for c in ticket)


def test_service_with_a_query_gets_the_ticket_appended():
    from idp.cas.tickets import with_ticket

    assert with_ticket("https://a.test/x?y=1", "ST-1") == "https://a.test/x?y=1&ticket=ST-1"


@pytest.mark.parametrize("path", ["/cas/serviceValidate", "/cas/p3/serviceValidate", "/cas/proxyValidate",
                                  "/cas/p3/proxyValidate"])
def test_validation_gives_the_user_and_the_same_facts(client, rp, person, path):
    ticket = _ticket(client)
    root = _xml(client.get(path, {"service": helpers.SERVICE, "ticket": ticket}))
    success = root.find("cas:authenticationSuccess", NS)
    assert success.find("cas:user", NS).text == claims.subject(person)
    attributes = {child.tag.split("}")[1]: child.text for child in success.find("cas:attributes", NS)}
    assert attributes["name"] == "王五" and attributes["account_type"] == "natural"
    assert attributes["realname_verified"] == "false" and attributes["isFromNewLogin"] == "false"
    assert "authenticationDate" in attributes


def test_json_format(client, rp, person):
    ticket = _ticket(client)
    body = client.get("/cas/p3/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket,
                                                  "format": "JSON"}).json()
    success = body["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == claims.subject(person) and success["attributes"]["name"] == ["王五"]
    failure = client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket,
                                                  "format": "JSON"}).json()
    assert failure["serviceResponse"]["authenticationFailure"]["code"] == "INVALID_TICKET"


def test_cas1_validate(client, rp, person):
    ticket = _ticket(client)
    ok = client.get("/cas/validate", {"service": helpers.SERVICE, "ticket": ticket})
    assert ok.content.decode() == f"yes\n{claims.subject(person)}\n"
    again = client.get("/cas/validate", {"service": helpers.SERVICE, "ticket": ticket})
    assert again.content.decode() == "no\n\n"


def test_tickets_are_single_use(client, rp, person):
    ticket = _ticket(client)
    client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket})
    again = client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket})
    assert _failure_code(again) == "INVALID_TICKET"


def test_a_ticket_for_another_service_is_invalid_service_and_spent(client, rp, person):
    ticket = _ticket(client)
    wrong = client.get("/cas/serviceValidate", {"service": "https://other.test/", "ticket": ticket})
    assert _failure_code(wrong) == "INVALID_SERVICE"
    right = client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket})
    assert _failure_code(right) == "INVALID_TICKET"


def test_expired_tickets(client, rp, person, monkeypatch):
    from idp.cas import tickets

    monkeypatch.setattr(tickets, "TICKET_SECONDS", 1)
    ticket = _ticket(client)
    import time

    time.sleep(2.1)
    response = client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket})
    assert _failure_code(response) == "INVALID_TICKET"


@pytest.mark.parametrize("params,code", [
    ({}, "INVALID_REQUEST"),
    ({"service": helpers.SERVICE}, "INVALID_REQUEST"),
    ({"ticket": "ST-abc"}, "INVALID_REQUEST"),
    ({"service": helpers.SERVICE, "ticket": "ST-doesnotexist"}, "INVALID_TICKET"),
    ({"service": helpers.SERVICE, "ticket": "garbage<>"}, "INVALID_TICKET"),
    ({"service": helpers.SERVICE, "ticket": "PT-whatever"}, "INVALID_TICKET_SPEC"),
])
def test_validation_errors(client, rp, params, code):
    assert _failure_code(client.get("/cas/serviceValidate", params)) == code


def test_unregistered_service_gets_an_error_page_not_a_redirect(client, rp, person):
    for service in ("https://evil.example/", helpers.SERVICE + "more", "https://cas-rp.example.test/"):
        response = client.get("/cas/login", {"service": service})
        assert response.status_code == 400 and "Location" not in response


def test_anchored_patterns_written_by_an_operator(client, person):
    helpers.cas_client("rp-pattern", service=r"^https://pattern\.example\.test/(a|b)/$")
    assert _ticket(client, "https://pattern.example.test/a/")
    response = client.get("/cas/login", {"service": "https://pattern.example.test/a/x"})
    assert response.status_code == 400


def test_not_logged_in_goes_to_login_or_back_with_gateway(client, rp):
    response = client.get("/cas/login", {"service": helpers.SERVICE})
    assert response["Location"].startswith("/login/?")
    gateway = client.get("/cas/login", {"service": helpers.SERVICE, "gateway": "true"})
    assert gateway["Location"] == helpers.SERVICE


def test_renew_needs_a_fresh_login(client, rp):
    account = factories.natural_account()
    assert login(client, account.login_name).status_code == 302
    asked = client.get("/cas/login", {"service": helpers.SERVICE, "renew": "true"})
    assert asked["Location"].startswith("/login/?")  # the platform login a moment ago does not count
    assert login(client, account.login_name).status_code == 302  # credentials typed for this request
    ticket = _ticket(client, renew="true")
    ok = client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket, "renew": "true"})
    assert _xml(ok).find("cas:authenticationSuccess", NS) is not None
    again = client.get("/cas/login", {"service": helpers.SERVICE, "renew": "true"})
    assert again["Location"].startswith("/login/?")
    plain = _ticket(client)
    refused = client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": plain, "renew": "true"})
    assert _failure_code(refused) == "INVALID_TICKET_SPEC"


def test_http_pgt_url_is_refused(client, rp, person):
    ticket = _ticket(client)
    response = client.get("/cas/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket,
                                                   "pgtUrl": "http://cas-rp.example.test/pgt"})
    assert _failure_code(response) == "INVALID_PROXY_CALLBACK"


def test_proxy_with_bad_input(client, rp):
    root = _xml(client.get("/cas/proxy", {"pgt": "PGT-nothing", "targetService": helpers.SERVICE}))
    assert root.find("cas:proxyFailure", NS).get("code") == "INVALID_TICKET"
    root = _xml(client.get("/cas/proxy", {}))
    assert root.find("cas:proxyFailure", NS).get("code") == "INVALID_REQUEST"


def test_acting_for_an_organisation_in_cas(client):
    from idp.delegation.services import create_grants

    rp = helpers.cas_client("rp-cas-org", allow_natural=False, delegable=True)
    person = factories.verified(factories.natural_account(name="赵六"))
    org = factories.verified(factories.legal_account(name="长风材料股份有限公司"))
    create_grants(organisation=org, person=person, systems=[rp.system], expires_on=None, actor=org)
    client.force_login(person)
    chooser = client.get("/cas/login", {"service": helpers.SERVICE})
    assert "长风材料股份有限公司" in chooser.content.decode()
    chosen = client.post(chooser.wsgi_request.get_full_path(), {"acting_for": str(org.pk)})
    ticket = helpers.query_of(chosen["Location"])["ticket"]
    body = client.get("/cas/p3/serviceValidate", {"service": helpers.SERVICE, "ticket": ticket,
                                                  "format": "JSON"}).json()["serviceResponse"]
    success = body["authenticationSuccess"]
    assert success["user"] == claims.subject(org)
    assert success["attributes"]["org_name"] == ["长风材料股份有限公司"]
    assert success["attributes"]["act_name"] == ["赵六"]
    assert success["attributes"]["act_sub"] == [claims.subject(person)]


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # self-signed on purpose
def test_proxy_granting_tickets_over_https(client, person, https_receiver, settings):
    """pgtUrl is called with pgtId and pgtIou; the PGT then buys proxy tickets, which only
    proxyValidate accepts, listing the proxy."""
    from urllib.parse import parse_qs, urlsplit

    settings.IDP_CAS_PROXY_VERIFY_TLS = False  # the test's certificate is self-signed
    service = https_receiver.url + "/app/"
    helpers.cas_client("rp-proxy", service=service, proxy_targets=["rp-backend"])
    helpers.cas_client("rp-backend", service="https://backend.example.test/api")
    ticket = _ticket(client, service)
    pgt_url = https_receiver.url + "/pgt"
    root = _xml(client.get("/cas/serviceValidate", {"service": service, "ticket": ticket, "pgtUrl": pgt_url}))
    iou = root.find("cas:authenticationSuccess/cas:proxyGrantingTicket", NS).text
    callback = parse_qs(urlsplit(https_receiver.gets[0]).query)
    assert callback["pgtIou"] == [iou] and callback["pgtId"][0].startswith("PGT-")

    def proxy_ticket():
        answer = _xml(client.get("/cas/proxy", {"pgt": callback["pgtId"][0],
                                                "targetService": "https://backend.example.test/api"}))
        return answer.find("cas:proxySuccess/cas:proxyTicket", NS).text

    first = proxy_ticket()
    assert first.startswith("PT-")
    refused = client.get("/cas/serviceValidate", {"service": "https://backend.example.test/api", "ticket": first})
    assert _failure_code(refused) == "INVALID_TICKET_SPEC"
    ok = _xml(client.get("/cas/proxyValidate", {"service": "https://backend.example.test/api",
                                                "ticket": proxy_ticket()}))
    success = ok.find("cas:authenticationSuccess", NS)
    assert success.find("cas:user", NS).text == claims.subject(person)
    assert [p.text for p in success.find("cas:proxies", NS)] == [pgt_url]

    https_receiver.status = 500  # a callback that fails gets no PGT, but the ticket is valid
    failing = _xml(client.get("/cas/serviceValidate", {"service": service, "ticket": _ticket(client, service),
                                                       "pgtUrl": pgt_url}))
    assert failing.find("cas:authenticationSuccess", NS) is not None
    assert failing.find("cas:authenticationSuccess/cas:proxyGrantingTicket", NS) is None


def test_unverified_users_go_to_my_profile_instead_of_getting_a_ticket(client, person):
    helpers.cas_client("rp-cas-verified", service="https://verified.example.test/", requires_realname=True)
    response = client.get("/cas/login", {"service": "https://verified.example.test/"})
    assert response.status_code == 302 and response["Location"] == "/online/profile/"
    assert "需要先完成实名认证" in client.get("/online/profile/").content.decode()
    factories.verified(person)
    assert "ticket=ST-" in client.get("/cas/login", {"service": "https://verified.example.test/"})["Location"]
