"""Registering business systems as relying parties, and looking them up on the hot paths.

Secrets are 256-bit random strings shown once; only an HMAC of them is stored. Look-ups are
kept in each process for at most CACHE_SECONDS, and only while the process hears every change:
saving or deleting a client or a business system, however it is done (console, admin,
commands), empties every process's copy at once (core/broadcast.py).
"""

import re
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from idp.audit.log import record
from idp.audit.models import Event
from idp.catalogue.models import BusinessSystem, Protocol
from idp.core import broadcast, crypto, process_copies
from idp.core.errors import Refused
from idp.sso.models import Client

CACHE_SECONDS = 30
TOPIC = "clients"  # announced when a client or a business system changes

# The protocols above sso (SAML) keep their part of a registration themselves: each sets up its
# own here, from its AppConfig.ready(): {protocol: set_up(client, **protocol_options)}. Called in
# the registration's transaction; a RegistrationError undoes the whole registration.
PROTOCOL_SETUP: dict = {}


class RegistrationError(Refused, ValueError):
    """A business system's registration that cannot be accepted (an operator's input)."""


def new_secret() -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return secret, crypto.keyed_digest("client-secret:" + secret)


def secret_matches(client: Client, secret: str) -> bool:
    if not client.secret_digest or not secret:
        return False
    return crypto.digest_matches(client.secret_digest, "client-secret:" + secret)


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def check_uri(uri: str) -> None:
    """A redirect, logout or back-channel URI: an absolute http(s) address with a host and
    without a fragment; under production settings https, except on the loopback interface."""
    if not re.match(r"^https?://[^\s#/?]+[^\s#]*$", uri):
        raise RegistrationError(_("地址无效(须为带主机名的 http(s) 绝对地址,且不含 #):%(uri)s") % {"uri": uri})
    parts = urlsplit(uri)
    if settings.IDP_PRODUCTION and parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise RegistrationError(_("生产环境的地址必须使用 https:%(uri)s") % {"uri": uri})


def check_service_pattern(pattern: str) -> None:
    """An operator's pattern: an exact URL, or an anchored regular expression ^…$."""
    if not pattern:
        return
    if pattern.startswith("^"):
        if not pattern.endswith("$"):
            raise RegistrationError(_("正则表达式必须以 ^ 开头并以 $ 结尾(锚定匹配)"))
        try:
            re.compile(pattern)
        except re.error as exc:
            raise RegistrationError(_("正则表达式无效:%(error)s") % {"error": exc}) from None
    elif not re.match(r"^https?://[^\s]+$", pattern):
        raise RegistrationError(_("服务地址必须是 http(s) 地址,或以 ^ 开头、$ 结尾的正则表达式"))


_DOT_SEGMENT = re.compile(r"(^|/)(\.|%2e){1,2}(/|$)", re.IGNORECASE)


def service_matches(client: Client, service: str) -> bool:
    """Whether `service` is one of the client's: the exact URL, or a full match of its pattern.
    A path with dot segments (`/../`, `/./`, also percent-encoded) never matches — a pattern
    like ^https://app/.*$ must not admit https://app/../other/."""
    pattern = client.service_pattern
    if not pattern or not service or _DOT_SEGMENT.search(urlsplit(service).path):
        return False
    if pattern.startswith("^"):
        return re.fullmatch(pattern, service) is not None
    return service == pattern


@dataclass
class Registration:
    system: BusinessSystem
    client: Client
    secret: str | None


def issue_secret(client: Client, *, actor=None, ip: str = "") -> str:
    """A new client_secret (the old one stops working now), shown once; in the audit log."""
    secret, client.secret_digest = new_secret()
    with transaction.atomic():
        client.save(update_fields=["secret_digest"])
        record(Event.CLIENT_SECRET_ISSUED, actor=actor, ip=ip, client_id=client.client_id)
    return secret


def register(*, name: str, protocol: str, code: str = "", redirect_uris=(), service_pattern: str = "",
             backchannel_logout_uri: str = "", post_logout_redirect_uris=(), public: bool = False,
             id_token_alg: str = "RS256", first_party: bool | None = None, proxy_targets=(),
             protocol_options: dict | None = None, actor=None, ip: str = "", **system_fields) -> Registration:
    """Create (or re-key) a business system and its client. Returns the secret once. `actor`:
    the operator, in the audit log (None: a management command)."""
    if protocol not in Protocol.values:
        raise RegistrationError(_("protocol 必须是 %(protocols)s") % {"protocols": ", ".join(Protocol.values)})
    for uri in [*redirect_uris, *post_logout_redirect_uris, *filter(None, [backchannel_logout_uri])]:
        check_uri(uri)
    check_service_pattern(service_pattern)
    for value, model, field in ((backchannel_logout_uri, Client, "backchannel_logout_uri"),
                                (service_pattern, Client, "service_pattern"), (name, BusinessSystem, "name")):
        if len(value) > (most := model._meta.get_field(field).max_length):
            raise RegistrationError(_("%(field)s 最多 %(most)s 个字符") % {"field": field, "most": most}, field)
    if code and not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", code):
        raise RegistrationError(_("代码只能包含字母、数字、下划线和连字符,最多 40 个字符"), "code")
    if protocol == Protocol.CAS and not service_pattern:
        raise RegistrationError(_("CAS 业务系统需要服务地址(--service)"))
    code = code or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or secrets.token_hex(4)
    secret, digest = (None, "") if public or protocol == Protocol.SAML else new_secret()
    if BusinessSystem.objects.filter(name=name).exclude(code=code).exists():
        raise RegistrationError(_("名称“%(name)s”已被另一个业务系统使用") % {"name": name})
    with transaction.atomic():
        system, _created = BusinessSystem.objects.update_or_create(
            code=code, defaults={"name": name, "protocol": protocol, **system_fields})
        client = Client.objects.filter(system=system).first() or Client(system=system, client_id=code)
        client.secret_digest = digest
        client.redirect_uris = "\n".join(redirect_uris)
        client.post_logout_redirect_uris = "\n".join(post_logout_redirect_uris)
        client.backchannel_logout_uri = backchannel_logout_uri
        client.service_pattern = service_pattern
        client.id_token_alg = id_token_alg
        client.proxy_targets = "\n".join(proxy_targets)
        if first_party is not None:
            client.first_party = first_party
        client.save()
        if set_up := PROTOCOL_SETUP.get(protocol):
            set_up(client, **(protocol_options or {}))
        record(Event.CLIENT_REGISTERED, actor=actor, ip=ip, client_id=client.client_id, protocol=protocol,
               public=public)
    return Registration(system, client, secret)


# --- per-process cache for the protocol endpoints ---
_cache: dict = {}
_cache_lock = threading.Lock()


CACHE_ENTRIES = 2048  # registered clients are few; the cap bounds memory whatever is asked for


def cached(key, load):
    """A found client (or a protocol's registration of one: a SAML provider; or whether a SCIM
    target is active, provisioning/scim.py), kept CACHE_SECONDS.
    Misses are not kept: random client_ids must not grow the cache, and a client registered a
    moment ago is found at once. While this process may have missed a change, every look-up
    reads the database."""
    if not broadcast.copies_are_current():
        return load()
    hit = _cache.get(key)
    now = time.monotonic()
    if hit and hit[0] > now:
        return hit[1]
    value = load()
    if value is not None:
        with _cache_lock:
            if len(_cache) >= CACHE_ENTRIES:
                _cache.clear()
            _cache[key] = (now + CACHE_SECONDS, value)
    return value


def invalidate(*_) -> None:
    with _cache_lock:
        _cache.clear()


def changed(**_) -> None:
    """post_save / post_delete of a client, a business system or a protocol's registration of
    one (connected by that protocol's app): every process forgets."""
    invalidate()
    broadcast.publish(TOPIC)
    transaction.on_commit(invalidate)  # and again here once the change is visible


broadcast.subscribe(TOPIC, on_message=invalidate, on_subscribed=invalidate)
process_copies.register("registered clients", invalidate)


def by_client_id(client_id: str) -> Client | None:
    if not client_id or len(client_id) > 64:
        return None
    return cached(("id", client_id), lambda: Client.objects.select_related("system").filter(
        client_id=client_id, system__is_active=True).first())


def by_pk(pk: int) -> Client | None:
    return cached(("pk", pk), lambda: Client.objects.select_related("system").filter(
        pk=pk, system__is_active=True).first())


def cas_clients() -> list[Client]:
    return cached(("cas",), lambda: list(Client.objects.select_related("system").filter(
        system__is_active=True, system__protocol=Protocol.CAS).exclude(service_pattern="")))


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def public_origins() -> frozenset[str]:
    """The origins of public clients' redirect URIs: browser apps that may call the token,
    userinfo and revocation endpoints (CORS)."""
    return cached(("public-origins",), lambda: frozenset(
        _origin(uri) for client in Client.objects.filter(system__is_active=True, secret_digest="")
        for uri in client.redirect_uri_list()))


def for_service(service: str) -> Client | None:
    """The CAS business system whose pattern matches this service URL exactly."""
    return next((c for c in cas_clients() if service_matches(c, service)), None)
