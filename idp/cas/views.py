"""CAS 3.0 endpoints under /cas/ (CONTRACT.md). Validation answers XML, or JSON with
format=JSON; login and logout are browser pages."""

import json
from xml.sax.saxutils import escape

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from idp.accounts import services as account_services
from idp.audit.log import record
from idp.audit.models import Event
from idp.cas import tickets
from idp.core.http import client_ip
from idp.sso import claims, clients, sessions, steps

NS = 'xmlns:cas="http://www.yale.edu/tp/cas"'


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes")


# --- validation ---

def _xml(body: str) -> HttpResponse:
    return HttpResponse(f"<cas:serviceResponse {NS}>{body}</cas:serviceResponse>\n",
                        content_type="application/xml; charset=utf-8")


def _success(result: tickets.Validated, as_json: bool) -> HttpResponse:
    if as_json:
        body = {"user": result.user, "attributes": {k: [v] for k, v in result.attributes.items()}}
        if result.pgt_iou:
            body["proxyGrantingTicket"] = result.pgt_iou
        if result.proxies:
            body["proxies"] = result.proxies
        return HttpResponse(json.dumps({"serviceResponse": {"authenticationSuccess": body}}, ensure_ascii=False),
                            content_type="application/json")
    attrs = "".join(f"<cas:{name}>{escape(value)}</cas:{name}>" for name, value in result.attributes.items())
    pgt = f"<cas:proxyGrantingTicket>{result.pgt_iou}</cas:proxyGrantingTicket>" if result.pgt_iou else ""
    proxies = ("<cas:proxies>" + "".join(f"<cas:proxy>{escape(p)}</cas:proxy>" for p in result.proxies)
               + "</cas:proxies>") if result.proxies else ""
    return _xml(f"<cas:authenticationSuccess><cas:user>{escape(result.user)}</cas:user>"
                f"<cas:attributes>{attrs}</cas:attributes>{pgt}{proxies}</cas:authenticationSuccess>")


def _failure(error: tickets.CasError, as_json: bool, element: str = "authenticationFailure") -> HttpResponse:
    if as_json:
        return HttpResponse(json.dumps({"serviceResponse": {element: {
            "code": error.code, "description": error.message}}}, ensure_ascii=False),
            content_type="application/json")
    return _xml(f'<cas:{element} code="{error.code}">{escape(error.message)}</cas:{element}>')


def _validate_view(allow_proxy: bool):
    @csrf_exempt
    @require_GET
    def view(request):
        params = request.GET
        as_json = params.get("format", "").upper() == "JSON"
        try:
            result = tickets.validate(service=params.get("service", ""), ticket=params.get("ticket", ""),
                                      allow_proxy=allow_proxy, renew=_true(params.get("renew")),
                                      pgt_url=params.get("pgtUrl", ""))
        except tickets.CasError as error:
            return _failure(error, as_json)
        return _success(result, as_json)
    return view


service_validate = _validate_view(allow_proxy=False)
proxy_validate = _validate_view(allow_proxy=True)


@csrf_exempt
@require_GET
def validate_v1(request):
    """CAS 1.0: `yes\\n<user>\\n` or `no\\n\\n`."""
    try:
        result = tickets.validate(service=request.GET.get("service", ""), ticket=request.GET.get("ticket", ""),
                                  allow_proxy=False, renew=_true(request.GET.get("renew")))
    except tickets.CasError:
        return HttpResponse("no\n\n", content_type="text/plain; charset=utf-8")
    return HttpResponse(f"yes\n{result.user}\n", content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_GET
def proxy(request):
    as_json = request.GET.get("format", "").upper() == "JSON"
    try:
        ticket = tickets.issue_proxy_ticket(pgt=request.GET.get("pgt", ""),
                                            target_service=request.GET.get("targetService", ""))
    except tickets.CasError as error:
        return _failure(error, as_json, "proxyFailure")
    if as_json:
        return HttpResponse(json.dumps({"serviceResponse": {"proxySuccess": {"proxyTicket": ticket}}}),
                            content_type="application/json")
    return _xml(f"<cas:proxySuccess><cas:proxyTicket>{ticket}</cas:proxyTicket></cas:proxySuccess>")


# --- browser side ---

def _key(service: str) -> str:
    return "cas:" + service


def login(request):
    service = request.GET.get("service", "")
    if not service:
        return redirect("online" if request.user.is_authenticated else "login")
    client = clients.for_service(service)
    if client is None:
        return render(request, "sso/error.html", {"error": "UNAUTHORIZED_SERVICE",
                                                  "description": _("该服务地址未在平台登记")}, status=400)
    system, renew = client.system, _true(request.GET.get("renew"))
    gateway = _true(request.GET.get("gateway")) and not renew  # CAS 3.0 §2.1.1: renew wins over gateway
    if not request.user.is_authenticated:
        if gateway:
            return redirect(service)
        return steps.ask_for_password(request, system, _key(service), request.get_full_path())
    new_login = steps.password_typed_for(request, _key(service))
    if renew and not new_login:
        return steps.ask_for_password(request, system, _key(service), request.get_full_path())
    if gateway:  # no page at all: enter silently, or go back without a ticket
        why_not, acting_for = steps.silent_identity(request, system)
        if why_not:
            return redirect(service)
    else:
        step, acting_for = steps.whom(request, system)
        if step is not None:
            return step  # the chooser's POST comes back here, still within the new login's moment
    steps.spend_new_login(request, _key(service))  # one ticket per new login
    account = request.user
    session = sessions.current(request)
    identity = claims.identity_claims(account, acting_for)
    # authenticationMethod: how the login was proven, in OIDC's amr values (pwd, otp, hwk user).
    attributes = {**claims.cas_attributes(identity),
                  "authenticationMethod": " ".join(account_services.login_methods(request))}
    ticket = tickets.issue_service_ticket(service=service, client=client, session=session, identity=identity,
                                          attributes=attributes, renewed=new_login)
    with transaction.atomic(savepoint=False):  # one commit; inside a login's own, no savepoint
        sessions.join(session, client, service=service, ticket=ticket, acting_for=acting_for)
        record(Event.SSO_SIGN_ON, account=account, actor=account, ip=client_ip(request), system=system.code,
               protocol="cas", acting_for=acting_for.login_name if acting_for else "")
    return redirect(tickets.with_ticket(service, ticket))


def answer_after_login(request, next_url: str):
    """A login interrupted a CAS login: the login answers it (steps.answer_after_login)."""
    return steps.answer_after_login(request, next_url, reverse("cas-login"), login)


def logout(request):
    """Ends the platform session — and so every business system's (single logout).

    A GET only asks: any site can send a browser to /cas/logout, so the logout itself is the
    confirmation form's POST, which the CSRF check guards."""
    if request.user.is_authenticated and request.method != "POST":
        return render(request, "sso/confirm_logout.html", {"action": request.get_full_path()})
    account_services.log_out(request, ip=client_ip(request), via="cas")
    service = request.GET.get("service", "")
    if service and clients.for_service(service) is not None:
        return redirect(service)
    messages.info(request, _("您已安全退出登录"))
    return redirect("login")
