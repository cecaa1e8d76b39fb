"""SAML 2.0 endpoints under /saml/ (CONTRACT.md): metadata, single sign-on (SP- and IdP-initiated)
and single logout. A message that cannot be trusted — unreadable, from an unregistered provider,
badly signed, naming an ACS that is not registered — gets the platform's error page and is
never answered to the address it names."""

import secrets

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from idp.accounts import services as account_services
from idp.core.http import client_ip
from idp.core.permissions import second_factor_passed
from idp.saml import bindings, messages, metadata, signing, signon, slo
from idp.saml.xml import (
    DS,
    STATUS_INVALID_NAMEID_POLICY,
    STATUS_NO_PASSIVE,
    STATUS_REQUEST_DENIED,
    STATUS_RESPONDER,
    MalformedMessage,
)
from idp.sso import sessions, steps
from idp.sso.models import Participant

PENDING_KEY = "saml_requests"  # {key: the AuthnRequest being answered}, in the platform session
PENDING_KEPT = 8  # requests remembered at once per browser (tabs)
RELAY_STATE_MAX = 1024  # SAML Bindings §3.4.3 asks for at most 80 bytes; some providers send a URL


def _refuse(request, error: str, description: str, status: int = 400):
    return render(request, "sso/error.html", {"error": error, "description": description}, status=status)


def _url(name: str) -> str:
    return settings.IDP_ISSUER + reverse(name)


class Untrusted(Exception):
    """A message the platform will not act on: (error code, description) for the error page."""


def _check_signature(provider, received: bindings.Received, *, required: bool) -> None:
    """A signature present must verify with the provider's certificates; `required`: one must be
    there. Raises signing.SignatureError."""
    certificates = provider.signing_certificate_list()
    if received.binding == "redirect":
        signed = bool(certificates) and signing.verify_redirect(received.query, received.parameter, certificates)
    else:
        signed = bool(certificates) and received.root.find(f"{{{DS}}}Signature") is not None
        if signed:
            signing.verify(received.root, certificates)
    if required and not signed:
        raise signing.SignatureError("the message is not signed")


def _trusted(request, read, *, signature_required):
    """(the message `read` makes of the request's SAML message, its provider, what was received),
    once it is readable, from a registered provider and signed as it must be; else Untrusted.
    `signature_required(provider)`: whether this provider must sign it."""
    try:
        received = bindings.receive(request)
        message = read(received)
    except MalformedMessage as exc:
        raise Untrusted("invalid_request", str(exc)) from None
    provider = signon.provider_for(message.issuer)
    if provider is None:
        raise Untrusted("unknown_service_provider", _("该服务提供方未在平台登记"))
    try:
        _check_signature(provider, received, required=signature_required(provider))
    except signing.SignatureError as exc:
        raise Untrusted("invalid_signature", str(exc)) from None
    return message, provider, received


@require_GET
def idp_metadata(request):
    return HttpResponse(metadata.idp_metadata(), content_type="application/samlmetadata+xml")


# --- single sign-on ---

@csrf_exempt  # an AuthnRequest is POSTed by any service provider's page
@require_http_methods(["GET", "POST"])
def sso(request):
    def read(received):
        if received.parameter != "SAMLRequest":
            raise MalformedMessage("no SAMLRequest")
        if len(received.relay_state) > RELAY_STATE_MAX:
            raise MalformedMessage("RelayState is too long")
        return messages.read_authn_request(received.root, _url("saml-sso"))

    try:
        authn, provider, received = _trusted(request, read,
                                             signature_required=lambda provider: provider.authn_requests_signed)
    except Untrusted as refusal:
        return _refuse(request, *refusal.args)
    acs_url = signon.acs_for(provider, authn.acs_url, authn.acs_index)
    if acs_url is None:
        return _refuse(request, "unregistered_acs", _("请求中的断言消费地址未在平台登记"))
    return _continue(request, provider=provider.pk, acs=acs_url, id=authn.id, relay_state=received.relay_state,
                     force=authn.force_authn, passive=authn.is_passive, format=authn.name_id_format)


def _continue(request, **sign_on):
    """Keep the sign-on to be answered in the session (a POSTed request cannot be sent round the
    login page) and go on with it at /saml/sso/continue/<key>."""
    key = secrets.token_urlsafe(12)
    pending = dict(list(request.session.get(PENDING_KEY, {}).items())[-(PENDING_KEPT - 1):])
    pending[key] = sign_on
    request.session[PENDING_KEY] = pending
    return redirect("saml-sso-continue", key=key)


def _answer(request, provider, pending: dict, *status: str):
    """A Response without an assertion (NoPassive, RequestDenied …) to the provider's ACS."""
    document = messages.response(provider, acs_url=pending["acs"], in_response_to=pending["id"],
                                 status=(STATUS_RESPONDER, *status) if status else (STATUS_RESPONDER,))
    return bindings.post_form(request, pending["acs"], "SAMLResponse", document, pending["relay_state"])


@require_http_methods(["GET", "POST"])  # POST: the person's answers on the chooser and consent pages
def sso_continue(request, key: str):
    pending = request.session.get(PENDING_KEY, {}).get(key)
    provider = signon.provider_by_pk((pending or {}).get("provider"))
    if pending is None or provider is None:
        return _refuse(request, "request_expired", _("登录请求已过期,请回到业务系统重新登录"))
    system, step_key = provider.client.system, "saml:" + key
    if not request.user.is_authenticated:
        if pending["passive"]:
            return _finish(request, key, _answer(request, provider, pending, STATUS_NO_PASSIVE))
        return steps.ask_for_password(request, system, step_key, request.get_full_path())
    if pending["force"] and not steps.password_typed_for(request, step_key):
        if pending["passive"]:
            return _finish(request, key, _answer(request, provider, pending, STATUS_NO_PASSIVE))
        return steps.ask_for_password(request, system, step_key, request.get_full_path())
    if pending["passive"]:  # no page at all: enter silently, or go back without an assertion
        why_not, acting_for = steps.silent_identity(request, system)
        if why_not or not provider.client.first_party:
            return _finish(request, key, _answer(request, provider, pending, STATUS_NO_PASSIVE))
    else:
        step, acting_for = steps.whom(request, system)
        if step is not None:
            return step
        if not provider.client.first_party:  # a third-party system: the person agrees first
            answer = request.POST.get("consent") if request.method == "POST" else None
            if answer == "deny":
                return _finish(request, key, _answer(request, provider, pending, STATUS_REQUEST_DENIED))
            if answer != "allow":
                return render(request, "sso/consent.html", {"system": system, "acting_for": acting_for,
                                                            "action": request.get_full_path()})
    steps.spend_new_login(request, step_key)
    try:
        document = signon.sign_on(request, provider, acs_url=pending["acs"], in_response_to=pending["id"],
                                  name_id_format=pending["format"], acting_for=acting_for,
                                  two_factor=second_factor_passed(request), ip=client_ip(request))
    except signon.NameIdRefused:
        return _finish(request, key, _answer(request, provider, pending, STATUS_INVALID_NAMEID_POLICY))
    return _finish(request, key, bindings.post_form(request, pending["acs"], "SAMLResponse", document,
                                                   pending["relay_state"]))


def _finish(request, key: str, response):
    """One answer per AuthnRequest."""
    pending = request.session.get(PENDING_KEY, {})
    if pending.pop(key, None) is not None:
        request.session[PENDING_KEY] = pending
    return response


@require_GET
def launch(request, code: str):
    """IdP-initiated sign-on: an unsolicited Response to the provider's default ACS, with the
    RelayState registered for it — after the same steps as a request from the provider."""
    provider = signon.provider_by_code(code)
    if provider is None:
        return _refuse(request, "unknown_service_provider", _("该服务提供方未在平台登记"), status=404)
    return _continue(request, provider=provider.pk, acs=signon.acs_for(provider, "", None), id=None,
                     relay_state=provider.default_relay_state, force=False, passive=False, format="")


# --- single logout ---

@csrf_exempt  # LogoutRequests and LogoutResponses come from service providers' pages
@require_http_methods(["GET", "POST"])
def logout(request):
    def read(received):
        if received.parameter == "SAMLRequest":
            return messages.read_logout_request(received.root, _url("saml-slo"))
        return messages.read_logout_response(received.root, _url("saml-slo"))

    # Logout messages must be signed by providers that registered a signing certificate (SAML
    # Profiles §4.4.3.1); from one without, only a request naming this browser's session counts.
    try:
        message, provider, received = _trusted(
            request, read, signature_required=lambda provider: bool(provider.signing_certificate_list()))
    except Untrusted as refusal:
        return _refuse(request, *refusal.args)
    if isinstance(message, messages.LogoutResponse):
        # A provider of the round has logged out (or could not): on to the next one.
        return slo.next_step(request) if slo.answered(request, message.in_response_to) else redirect("login")
    return _logout_requested(request, provider, message, received.relay_state)


def _logout_requested(request, provider, message, relay_state: str):
    """SP-initiated logout: the SSO session the request names ends (and with it every other
    participant's), then the browser goes round the front-channel providers and back to the
    requester with a LogoutResponse."""
    named = Participant.objects.filter(client=provider.client, subject=message.name_id,
                                       session__ended_at__isnull=True).select_related("session")
    if message.session_indexes:
        named = named.filter(ticket__in=message.session_indexes)
    part = named.first()
    then = {"respond_to": provider.pk, "in_response_to": message.id, "relay_state": relay_state}
    if part is None:  # ended already, or never this provider's: nothing left to end
        return slo.begin_round(request, [], then)
    others = slo.front_channel(part.session_id, except_client_id=provider.client_id)
    if part.session.sid == sessions.current_sid(request):
        account_services.log_out(request, ip=client_ip(request), via="saml")
    elif provider.signing_certificate_list():  # signed: it may end a session of another browser
        sessions.end(part.session, reason="logout")
    else:
        return _refuse(request, "invalid_request", _("退出请求未签名,且不属于本浏览器的登录"))
    request.__dict__.pop(slo.PLATFORM_ROUND_ATTRIBUTE, None)  # this view makes the round itself
    return slo.begin_round(request, others, then)


@require_GET
def logout_next(request):
    return slo.next_step(request)

