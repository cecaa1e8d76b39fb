"""Request helpers: the client's address, and text made storable.

The client's address, also behind reverse proxies (docs/security.md, "Behind a reverse proxy").

Behind a proxy REMOTE_ADDR is the proxy, so every user would share one address and its
throttles and locks. When the peer is one of IDP_TRUSTED_PROXIES, the address comes from the
configured header (IDP_CLIENT_IP_HEADER, X-Forwarded-For by default): its entries are read
right to left, skipping trusted proxies, and the first one that is not a trusted proxy is the
client — the left part of the header is written by the client and is never believed.
"""

import ipaddress
import re
from functools import lru_cache

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


@lru_cache(maxsize=8)
def _networks(proxies: tuple) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(value: str):
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    networks = _networks(tuple(settings.IDP_TRUSTED_PROXIES))
    if not networks or not _trusted(_address(remote), networks):
        return remote
    header = request.META.get(settings.IDP_CLIENT_IP_META, "")
    client = remote
    for entry in reversed(header.split(",") if header else []):
        address = _address(entry)
        if address is None:  # garbage: believe no further than the last proxy that vouched
            return client
        client = str(address)
        if not _trusted(address, networks):
            return client
    return client


# What no database stores as text: NUL (PostgreSQL refuses it) and lone surrogates (not UTF-8).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD, as Django already replaces request
    bytes that are not UTF-8: a field that cannot take it says so; none can reach the database."""
    return _UNSTORABLE.sub("\ufffd", text)


def unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def local_next(request, value: str | None, default: str = "") -> str:
    """Where to go back to after a step (login, a choice): a path on this site — never another
    site, a scheme, or a bare word Django would take for a view name. Anything else is `default`."""
    value = value or ""
    if (not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 4000 or unstorable(value)
            or not url_has_allowed_host_and_scheme(value, {request.get_host()}, require_https=request.is_secure())):
        return default
    return value
