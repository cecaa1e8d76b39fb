"""Issue 11 (informational): a per-service CAS proxy policy — which services may proxy at
all (get a proxy-granting ticket), and for which target services they get proxy tickets."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from tests.cas.test_cas import NS, _failure_code, _ticket, _xml
from tests.sso import helpers

pytestmark = [pytest.mark.django_db,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]


@pytest.fixture
def person(client):
    account = factories.natural_account()
    client.force_login(account)
    return account


def _pgt(client, https_receiver, service):
    ticket = _ticket(client, service)
    root = _xml(client.get("/cas/serviceValidate", {"service": service, "ticket": ticket,
                                                    "pgtUrl": https_receiver.url + "/pgt"}))
    assert root.find("cas:authenticationSuccess/cas:proxyGrantingTicket", NS) is not None
    return parse_qs(urlsplit(https_receiver.gets[-1]).query)["pgtId"][0]


def test_a_proxy_ticket_only_for_the_targets_the_service_may_proxy_to(client, person, https_receiver, settings):
    settings.IDP_CAS_PROXY_VERIFY_TLS = False
    portal = https_receiver.url + "/app/"
    helpers.cas_client("portal", service=portal, proxy_targets=["backend"])
    helpers.cas_client("backend", service="https://backend.example.test/api")
    helpers.cas_client("payroll", service="https://payroll.example.test/api")
    pgt = _pgt(client, https_receiver, portal)
    allowed = _xml(client.get("/cas/proxy", {"pgt": pgt, "targetService": "https://backend.example.test/api"}))
    assert allowed.find("cas:proxySuccess/cas:proxyTicket", NS).text.startswith("PT-")
    refused = _xml(client.get("/cas/proxy", {"pgt": pgt, "targetService": "https://payroll.example.test/api"}))
    assert refused.find("cas:proxyFailure", NS).get("code") == "UNAUTHORIZED_SERVICE"


def test_a_service_without_a_proxy_policy_gets_no_proxy_granting_ticket(client, person, https_receiver, settings):
    settings.IDP_CAS_PROXY_VERIFY_TLS = False
    service = https_receiver.url + "/plain/"
    helpers.cas_client("plain", service=service)
    response = client.get("/cas/serviceValidate", {"service": service, "ticket": _ticket(client, service),
                                                   "pgtUrl": https_receiver.url + "/pgt"})
    assert _failure_code(response) == "UNAUTHORIZED_SERVICE_PROXY"
    assert https_receiver.gets == []  # the callback was never called
