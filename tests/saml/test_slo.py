"""SAML single logout through HTTP: a provider's LogoutRequest ends the SSO session and the browser
is sent round the other providers before the requester gets its LogoutResponse; the platform's own
logout sends it round them too; providers with a SOAP endpoint are told by the logout queue."""

import base64
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from idp.sso import clients
from idp.sso.models import LogoutDelivery, Participant, SsoSession
from tests.saml import sp as sp_module
from tests.saml.conftest import slo_url, sso_url

pytestmark = pytest.mark.django_db
NS = sp_module.NS


def _sign_on(client, provider):
    _, document = provider.authn_request(destination=sso_url())
    response = client.get("/saml/sso?" + provider.redirect_query("SAMLRequest", document))
    page = client.get(response["Location"])
    assert page.status_code == 200, page.content[:300]
    return Participant.objects.get(client__saml__entity_id=provider.entity_id)


def _register(entity, code, **options):
    provider = sp_module.ServiceProvider(entity_id=f"https://{entity}/saml", base=f"https://{entity}", **options)
    clients.register(name=code, code=code, protocol="saml", protocol_options={"metadata": provider.metadata()},
                     requires_realname=False)
    return provider


def _redirected_message(location: str, idp_cert: bytes, parameter: str):
    """The message of a Redirect-binding URL, its detached signature checked as the SP checks it."""
    raw = dict(pair.split("=", 1) for pair in location.split("?", 1)[1].split("&"))
    signed = "&".join(f"{name}={raw[name]}" for name in (parameter, "RelayState", "SigAlg") if name in raw)
    public_key = x509.load_pem_x509_certificate(idp_cert).public_key()
    query = sp_module.query_of(location)
    public_key.verify(base64.b64decode(query["Signature"]), signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return etree.fromstring(sp_module.inflate(query[parameter]))


def test_a_provider_logout_goes_round_the_others_and_answers_the_requester(client, sp, person, idp_cert):
    other = _register("oa.test", "oa")
    mine, theirs = _sign_on(client, sp), _sign_on(client, other)
    request_id, document = sp.logout_request(destination=slo_url(), name_id=mine.subject,
                                             session_index=mine.ticket)
    response = client.get("/saml/slo?" + sp.redirect_query("SAMLRequest", document, "back-to-1"))
    assert SsoSession.objects.get(pk=mine.session_id).ended_at is not None
    assert "_auth_user_id" not in client.session
    step = client.get(response["Location"])  # the round: the other provider first
    assert step["Location"].startswith(other.slo + "?")
    to_other = _redirected_message(step["Location"], idp_cert, "SAMLRequest")
    assert to_other.find("saml:NameID", NS).text == theirs.subject
    assert to_other.find("samlp:SessionIndex", NS).text == theirs.ticket
    answer = other.logout_response(destination=slo_url(), in_response_to=to_other.get("ID"))
    final = client.get("/saml/slo?" + other.redirect_query("SAMLResponse", answer))  # and on
    assert final["Location"].startswith(sp.slo + "?")
    response_to_sp = _redirected_message(final["Location"], idp_cert, "SAMLResponse")
    assert response_to_sp.get("InResponseTo") == request_id
    assert response_to_sp.find("samlp:Status/samlp:StatusCode", NS).get("Value").endswith(":Success")
    assert sp_module.query_of(final["Location"])["RelayState"] == "back-to-1"


def test_an_unsigned_logout_request_from_a_signing_provider_is_refused(client, sp, person):
    mine = _sign_on(client, sp)
    _, document = sp.logout_request(destination=slo_url(), name_id=mine.subject, session_index=mine.ticket)
    response = client.get("/saml/slo?" + sp.redirect_query("SAMLRequest", document, sign=False))
    assert response.status_code == 400
    assert SsoSession.objects.get(pk=mine.session_id).ended_at is None


def test_a_logout_request_by_post_is_accepted_signed(client, sp, person):
    mine = _sign_on(client, sp)
    _, document = sp.logout_request(destination=slo_url(), name_id=mine.subject, session_index=mine.ticket)
    response = client.post("/saml/slo", {"SAMLRequest": sp.signed_post(document)})
    assert response.status_code == 302
    assert SsoSession.objects.get(pk=mine.session_id).ended_at is not None


def test_the_platform_logout_sends_the_browser_round_the_providers_then_to_its_page(client, sp, person, idp_cert):
    mine = _sign_on(client, sp)
    response = client.post("/logout/")
    assert response["Location"].endswith("/saml/slo/next")
    step = client.get(response["Location"])
    message = _redirected_message(step["Location"], idp_cert, "SAMLRequest")
    assert message.find("samlp:SessionIndex", NS).text == mine.ticket
    answer = sp.logout_response(destination=slo_url(), in_response_to=message.get("ID"))
    back = client.get("/saml/slo?" + sp.redirect_query("SAMLResponse", answer))
    assert back["Location"] == "/login/"


def test_providers_with_a_soap_endpoint_are_told_by_the_logout_queue_not_as_cas(client, person, queued):
    soap = _register("soap.test", "soap", slo_bindings=(sp_module.SOAP, sp_module.REDIRECT))
    part = _sign_on(client, soap)
    response = client.post("/logout/")
    assert response["Location"] == "/login/", "no browser round for a provider told by the back channel"
    delivery = LogoutDelivery.objects.get()
    assert delivery.kind == LogoutDelivery.Kind.SAML and delivery.url == soap.slo
    assert part.ticket in delivery.payload


def test_the_soap_logout_request_is_signed_and_success_is_required(client, person, receiver, idp_cert):
    from idp.sso import logout

    soap = _register("soap.test", "soap", slo_bindings=(sp_module.SOAP,))
    part = _sign_on(client, soap)
    payload = json.dumps({"name_id": part.subject, "session_index": part.ticket})
    delivery = LogoutDelivery.objects.create(kind=LogoutDelivery.Kind.SAML, client=part.client, url=receiver.url,
                                             form_field="", next_attempt_at="2026-01-01T00:00:00Z", payload=payload)
    receiver.reply = b"<not-a-logout-response/>"
    assert logout.deliver(delivery.pk) is False, "an answer without Success is retried"
    envelope = etree.fromstring(receiver.bodies[-1])
    request = envelope.find(".//samlp:LogoutRequest", NS)
    sp_module.verify_signature(request, idp_cert)
    assert request.find("samlp:SessionIndex", NS).text == part.ticket
    answer = sp_module.ServiceProvider.logout_response(soap, destination="x", in_response_to=request.get("ID"))
    receiver.reply = (f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
                      f'<SOAP-ENV:Body>{answer.decode()}</SOAP-ENV:Body></SOAP-ENV:Envelope>').encode()
    LogoutDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at="2026-01-01T00:00:00Z")
    assert logout.deliver(delivery.pk) is True
