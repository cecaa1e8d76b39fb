"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

A lock on a login name is a weapon: anyone can lock anyone out by typing wrong passwords. A
browser where the name logged in successfully before carries a signed device cookie naming
it (as a keyed hash); from that browser the name's lock does not apply. Failures from a
trusted device are counted for the device itself, which is locked like a name after as many.
"""

import secrets

from django.conf import settings
from django.core import signing

from idp.core import crypto

COOKIE = "idp_device"
SALT = "idp.accounts.devices"
MAX_AGE = 180 * 24 * 3600
MAX_NAMES = 5  # a shared family computer: a few accounts


def _name(login_name: str) -> str:
    return crypto.identifier("device", login_name.strip().lower())[:24]


def _read(request) -> dict:
    try:
        value = signing.loads(request.COOKIES.get(COOKIE, ""), salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return {}
    return value if isinstance(value, dict) and isinstance(value.get("names"), list) else {}


def trusted_device(request, login_name: str) -> str | None:
    """The device's id if this browser logged in as `login_name` before, else None."""
    device = _read(request)
    return device.get("id") if _name(login_name) in device.get("names", []) else None


def remember(request, response, login_name: str) -> None:
    """After a successful login: this browser is trusted for `login_name` from now on."""
    device = _read(request)
    names = [_name(login_name), *[n for n in device.get("names", []) if n != _name(login_name)]]
    value = signing.dumps({"id": device.get("id") or secrets.token_urlsafe(16), "names": names[:MAX_NAMES]},
                          salt=SALT)
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)
