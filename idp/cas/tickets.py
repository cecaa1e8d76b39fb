"""CAS 3.0 tickets and their validation (the protocol's rules, no HTTP).

Service tickets (ST-) and proxy tickets (PT-) are single-use whatever the outcome — taken
from the store before anything is checked — and live TICKET_SECONDS. They carry the claims
computed when they were issued, so validation is one atomic take and no query.
"""

import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from idp.core.errors import Refused
from idp.sso import clients, store
from idp.sso.models import SsoSession

TICKET_SECONDS = 15
PGT_SECONDS = 8 * 3600
_ALPHABET = string.ascii_letters + string.digits


def new_ticket(prefix: str) -> str:
    return f"{prefix}-" + "".join(secrets.choice(_ALPHABET) for _ in range(40))


class CasError(Refused):
    """A CAS 3.0 failure: `code` is the protocol's error code, str() its description."""

    def __init__(self, code: str, description: str):
        super().__init__(description, code=code)


@dataclass
class Validated:
    user: str
    attributes: dict
    proxies: list = field(default_factory=list)
    pgt_iou: str | None = None


def issue_service_ticket(*, service: str, client, session: SsoSession, identity: dict, attributes: dict,
                         renewed: bool) -> str:
    ticket = new_ticket("ST")
    store.put("cas:" + ticket, {
        "service": service, "client": client.pk, "sid": session.sid, "user": identity["sub"],
        "attributes": attributes, "renewed": renewed, "proxies": [],
        "auth_time": int(session.auth_time.timestamp()),
    }, TICKET_SECONDS)
    return ticket


def with_ticket(service: str, ticket: str) -> str:
    return service + ("&" if "?" in service else "?") + urlencode({"ticket": ticket})


def validate(*, service: str, ticket: str, allow_proxy: bool, renew: bool = False, pgt_url: str = "") -> Validated:
    if not service or not ticket:
        raise CasError("INVALID_REQUEST", _("参数 service 和 ticket 都是必需的"))
    prefix = ticket.split("-", 1)[0]
    if prefix not in ("ST", "PT") or len(ticket) > 256:
        raise CasError("INVALID_TICKET_SPEC" if prefix == "PT" else "INVALID_TICKET",
                       f"Ticket '{ticket[:64]}' not recognized")
    data = store.take("cas:" + ticket)  # single use from here on, whatever happens next
    if prefix == "PT" and not allow_proxy:
        raise CasError("INVALID_TICKET_SPEC", _("代理票据只能在 proxyValidate 校验"))
    if data is None:
        raise CasError("INVALID_TICKET", f"Ticket '{ticket[:64]}' not recognized")
    if data["service"] != service:
        raise CasError("INVALID_SERVICE", _("票据不是为该服务签发的"))
    if renew and not data["renewed"]:
        raise CasError("INVALID_TICKET_SPEC", _("renew=true 要求票据来自新的登录"))
    result = Validated(user=data["user"], proxies=list(reversed(data["proxies"])), attributes={
        **data["attributes"],
        "authenticationDate": datetime.fromtimestamp(data["auth_time"], tz=UTC).isoformat(),
        "isFromNewLogin": "true" if data["renewed"] else "false",
    })
    if pgt_url:
        result.pgt_iou = _grant_pgt(data, service, pgt_url)
    return result


def _grant_pgt(data: dict, service: str, pgt_url: str) -> str | None:
    """CAS 3.0 §2.5.4: call pgtUrl (https, same host as the service) with pgtId and pgtIou;
    only a 200 gets the IOU into the response."""
    target, origin = urlsplit(pgt_url), urlsplit(service)
    if target.scheme != "https" or target.netloc != origin.netloc:
        raise CasError("INVALID_PROXY_CALLBACK", _("pgtUrl 必须是与服务同一主机的 https 地址"))
    proxying = clients.by_pk(data["client"])
    if proxying is None or not proxying.proxy_targets.strip():  # the per-service proxy policy
        raise CasError("UNAUTHORIZED_SERVICE_PROXY", _("该服务未被允许使用代理认证"))
    pgt, iou = new_ticket("PGT"), new_ticket("PGTIOU")
    try:
        answer = requests.get(pgt_url, params={"pgtId": pgt, "pgtIou": iou}, timeout=5,
                              allow_redirects=False, verify=settings.IDP_CAS_PROXY_VERIFY_TLS)
    except requests.RequestException:
        return None
    if answer.status_code != 200:
        return None
    store.put("cas:" + pgt, {**data, "proxies": data["proxies"] + [pgt_url]}, PGT_SECONDS)
    return iou


def issue_proxy_ticket(*, pgt: str, target_service: str) -> str:
    if not pgt or not target_service:
        raise CasError("INVALID_REQUEST", _("参数 pgt 和 targetService 都是必需的"))
    data = store.get("cas:" + pgt) if pgt.startswith("PGT-") else None
    if data is None or not SsoSession.objects.filter(sid=data["sid"], ended_at__isnull=True).exists():
        raise CasError("INVALID_TICKET", f"Ticket '{pgt[:64]}' not recognized")
    client = clients.for_service(target_service)
    if client is None:
        raise CasError("UNAUTHORIZED_SERVICE", _("目标服务未在平台登记"))
    proxying = clients.by_pk(data["client"])  # the service the proxy-granting ticket belongs to
    if proxying is None or not proxying.may_proxy_to(client):
        raise CasError("UNAUTHORIZED_SERVICE", _("该服务未被允许代理访问目标服务"))
    ticket = new_ticket("PT")
    store.put("cas:" + ticket, {**data, "service": target_service, "client": client.pk, "renewed": False},
              TICKET_SECONDS)
    return ticket


def forget_session_tickets(event) -> None:
    """SessionEnded: the session's unvalidated service tickets must not start new sessions."""
    for ticket in event.session.participants.exclude(ticket="").values_list("ticket", flat=True):
        store.take("cas:" + ticket)
