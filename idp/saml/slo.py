"""Single logout with SAML service providers, joined to the platform's one (sso/logout.py).

When an SSO session ends, each SAML participant is told in the way its metadata offers:
- by the back channel (SOAP binding): a LogoutDelivery of kind "saml" in sso.logout's queue,
  sent and retried by its worker like the OIDC and CAS notifications (send() below);
- else by the front channel (HTTP-Redirect or HTTP-POST): the browser that logged out is sent
  through each such provider's SingleLogoutService in turn, each answering with a LogoutResponse
  to /saml/slo, before it goes where the logout was going — a LogoutResponse to the provider
  that asked for the logout, or the page of the platform's own logout view. The round's state is
  in the (new, anonymous) platform session; a provider that does not answer stops the round there.
"""

import json

import requests
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from idp.saml import bindings, messages, signing, signon
from idp.saml.models import ServiceProvider
from idp.saml.xml import BINDING_POST, BINDING_REDIRECT, BINDING_SOAP, NAMESPACES, SOAP, STATUS_SUCCESS, parse, q
from idp.sso import sessions
from idp.sso.models import LogoutDelivery, Participant

ROUND_KEY = "saml_logout"  # {"pending": [participant pk], "waiting": request ID, "then": {...}}
SOAP_ACTION = "http://www.oasis-open.org/committees/security"


def _endpoint(provider: ServiceProvider, *bindings_wanted: str) -> dict | None:
    for binding in bindings_wanted:
        found = next((e for e in provider.slo if e["binding"] == binding), None)
        if found:
            return found
    return None


def browser_endpoint(provider: ServiceProvider) -> dict | None:
    return _endpoint(provider, BINDING_REDIRECT, BINDING_POST)


def saml_participants(participants) -> list:
    """The participants that are SAML service providers, with their provider read once."""
    return [p for p in participants if hasattr(p.client, "saml")]


# --- the back channel ---

def deliveries(session, participants) -> list[LogoutDelivery]:
    """sso.logout's hook for SAML participants: a queued SOAP LogoutRequest for each whose
    provider offers the SOAP binding (the others are told through the browser, below)."""
    now, rows = timezone.now(), []
    for part in participants:
        soap = _endpoint(part.client.saml, BINDING_SOAP)
        if soap:
            rows.append(LogoutDelivery(kind=LogoutDelivery.Kind.SAML, client=part.client, url=soap["location"],
                                       form_field="", next_attempt_at=now,
                                       payload=json.dumps({"name_id": part.subject, "session_index": part.ticket})))
    return rows


def send(delivery: LogoutDelivery, timeout: float) -> None:
    """One SOAP LogoutRequest (SAML Bindings §3.2); raises unless the provider answers Success."""
    facts = json.loads(delivery.payload)
    provider = ServiceProvider.objects.get(client=delivery.client)
    request = messages.logout_request(provider, destination=delivery.url, name_id=facts["name_id"],
                                      name_id_format=signon.name_id_format(facts["name_id"]),
                                      session_index=facts["session_index"])
    signing.sign(request)
    envelope = etree.Element(q("SOAP-ENV", "Envelope"), nsmap={"SOAP-ENV": SOAP})
    etree.SubElement(envelope, q("SOAP-ENV", "Body")).append(request)
    answer = requests.post(delivery.url, data=etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"),
                           timeout=timeout, allow_redirects=False,
                           headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION})
    if answer.status_code != 200:
        raise RuntimeError(f"HTTP {answer.status_code}")
    status = parse(answer.content).find(".//samlp:LogoutResponse/samlp:Status/samlp:StatusCode", NAMESPACES)
    if status is None or status.get("Value") != STATUS_SUCCESS:
        raise RuntimeError("the service provider did not log out: "
                           + (status.get("Value", "") if status is not None else "no LogoutResponse"))


# --- the front channel ---

def front_channel(session_pk: int, *, except_client_id: int | None = None) -> list[int]:
    """The participants of a session to be told through the browser: SAML providers with a
    Redirect or POST SingleLogoutService and no SOAP one."""
    participants = Participant.objects.filter(session_id=session_pk).select_related("client__saml")
    return [p.pk for p in saml_participants(participants) if p.client_id != except_client_id
            and browser_endpoint(p.client.saml) and not _endpoint(p.client.saml, BINDING_SOAP)]


def begin_round(request, participant_pks: list[int], then: dict):
    """Start the browser's round through `participant_pks`, ending with `then`:
    {"url": …} or {"respond_to": provider pk, "in_response_to": …, "relay_state": …}."""
    request.session[ROUND_KEY] = {"pending": participant_pks, "waiting": "", "then": then}
    return redirect("saml-slo-next")


def _send_through_browser(request, provider, endpoint: dict, parameter: str, element, relay_state: str = ""):
    location = endpoint["response_location"] if parameter == "SAMLResponse" and endpoint.get(
        "response_location") else endpoint["location"]
    element.set("Destination", location)
    if endpoint["binding"] == BINDING_REDIRECT:  # the signature goes beside the message, in the query
        return redirect(bindings.redirect_url(location, parameter, messages.to_bytes(element), relay_state))
    signing.sign(element)
    return bindings.post_form(request, location, parameter, messages.to_bytes(element), relay_state)


def next_step(request):
    """The next provider of the round, or where the round ends."""
    state = request.session.get(ROUND_KEY)
    if not isinstance(state, dict):
        return redirect("login")
    while state["pending"]:
        part = Participant.objects.select_related("client__saml").filter(pk=state["pending"].pop(0)).first()
        endpoint = browser_endpoint(part.client.saml) if part and hasattr(part.client, "saml") else None
        if endpoint is None:
            continue
        provider = part.client.saml
        logout_request = messages.logout_request(provider, destination=endpoint["location"], name_id=part.subject,
                                                 name_id_format=signon.name_id_format(part.subject),
                                                 session_index=part.ticket)
        state["waiting"] = logout_request.get("ID")
        request.session[ROUND_KEY] = state
        return _send_through_browser(request, provider, endpoint, "SAMLRequest", logout_request)
    del request.session[ROUND_KEY]
    then = state["then"]
    provider = ServiceProvider.objects.filter(pk=then.get("respond_to")).first()
    endpoint = browser_endpoint(provider) if provider else None
    if endpoint is None:
        return redirect(then.get("url") or reverse("login"))
    answer = messages.logout_response(destination=endpoint["location"], in_response_to=then["in_response_to"])
    return _send_through_browser(request, provider, endpoint, "SAMLResponse", answer, then.get("relay_state", ""))


def answered(request, in_response_to: str) -> bool:
    """Whether a LogoutResponse answers the request the round is waiting for."""
    state = request.session.get(ROUND_KEY)
    return isinstance(state, dict) and bool(state.get("waiting")) and state["waiting"] == in_response_to


# --- the platform's own logouts (its 退出, OIDC end_session, CAS logout) ---

PLATFORM_ROUND_ATTRIBUTE = "saml_logout_round"


def on_logging_out(event) -> None:
    """Before the platform session ends: note, on the request, the providers to be told through
    this browser (PlatformLogoutRound sends it round them once the logout view has answered)."""
    known = event.request.session.get(sessions.SESSION_KEY)
    if isinstance(known, dict) and known.get("pk"):
        setattr(event.request, PLATFORM_ROUND_ATTRIBUTE, front_channel(known["pk"]))


class PlatformLogoutRound:
    """A logout view that redirects the browser somewhere first sends it round the front-channel
    SAML providers of the session it ended (a logout view that shows a page leaves them to their
    own session's end)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        participants = request.__dict__.pop(PLATFORM_ROUND_ATTRIBUTE, None)
        if participants and response.status_code in (301, 302, 303):
            return begin_round(request, participants, {"url": response["Location"]})
        return response
