"""System checks for settings that must never reach production (docs/security.md, "The production checks").

`manage.py check --deploy` reports them as errors (exit 1); under production settings the
WSGI application refuses to start while any of them fails (config/wsgi.py). With
`--database default` the check also refuses demo accounts that still have the README's
passwords, and superusers (the three administrator roles are kept apart: accounts/roles.py).
"""

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from config import env

DEMO_PASSWORDS = {"reviewer": "Review@2026", "demo_person": "Demo@2026a", "demo_org": "Demo@2026b"}


def _error(n: int, message: str, hint: str) -> checks.Error:
    return checks.Error(message, hint=hint, id=f"idp.E{n:03d}")


def data_key_problem(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not base64"
    return "" if len(raw) == 32 else f"decodes to {len(raw)} bytes, not 32"


@checks.register(checks.Tags.security)
def trusted_proxies_are_addresses(app_configs=None, **kwargs):
    errors = []
    for proxy in settings.IDP_TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            errors.append(_error(10, f"IDP_TRUSTED_PROXIES: {proxy!r} is not an address or CIDR.",
                                 "Give the reverse proxies' addresses, e.g. 10.0.0.5,10.0.1.0/24."))
    return errors


@checks.register(checks.Tags.security)
def encryption_keys_are_well_formed(app_configs=None, **kwargs):
    from django.core.exceptions import ImproperlyConfigured

    from idp.core import crypto

    try:
        crypto.encryption_keys()
    except ImproperlyConfigured as error:
        return [_error(13, str(error), "e.g. IDP_ENCRYPTION_KEYS=2:<base64 of 32 random bytes>")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def production_settings(app_configs=None, **kwargs):
    errors = []
    key = settings.SECRET_KEY
    if key == env.DEV_SECRET_KEY or len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-"):
        errors.append(_error(1, "IDP_SECRET_KEY is the development key or too weak.",
                             "Use at least 50 random characters, e.g. python -c \"import secrets;"
                             "print(secrets.token_urlsafe(48))\"."))
    if settings.IDP_DATA_KEY == env.DEV_DATA_KEY or data_key_problem(settings.IDP_DATA_KEY):
        problem = data_key_problem(settings.IDP_DATA_KEY) or "is the development key"
        errors.append(_error(2, f"IDP_DATA_KEY {problem}.",
                             "Generate base64 of 32 random bytes (docs/operators.md, Configuration) and escrow it."))
    if settings.IDP_ALLOW_TEST_HOOKS or settings.IDP_CAPTCHA != "image":
        errors.append(_error(3, "Test hooks are on (IDP_ALLOW_TEST_HOOKS or IDP_CAPTCHA=fixed:…).",
                             "Unset IDP_ALLOW_TEST_HOOKS and IDP_CAPTCHA."))
    if not settings.IDP_ISSUER.startswith("https://"):
        errors.append(_error(4, "IDP_ISSUER is not an https:// URL.", "Set the public https base URL."))
    if settings.IDP_REALNAME_VERIFIER == "reference":
        errors.append(_error(5, "IDP_REALNAME_VERIFIER=reference answers from a fictitious data set.",
                             "Use IDP_REALNAME_VERIFIER=http with the national registry's URL."))
    if settings.IDP_SMS_BACKEND == "outbox":
        errors.append(_error(6, "IDP_SMS_BACKEND=outbox writes codes to a file instead of sending them.",
                             "Use IDP_SMS_BACKEND=http with the SMS gateway."))
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        errors.append(_error(7, "The cache is per process: throttles, locks and codes would not be shared.",
                             "Set IDP_REDIS_URL."))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(_error(8, "The database is SQLite.", "Set IDP_DATABASE_URL=postgresql://…"))
    if not settings.IDP_TRUSTED_PROXIES_SETTING:
        errors.append(_error(9, "IDP_TRUSTED_PROXIES is not set: behind a proxy every user would share "
                                "one address, and with it the login locks and SMS caps.",
                             "Set it to the reverse proxies' addresses or CIDRs, or to `none` if clients "
                             "connect directly."))
    if settings.DEBUG:
        errors.append(_error(11, "IDP_DEBUG is on.", "Unset IDP_DEBUG."))
    errors += _exposure_problems()
    return errors


def _exposure_problems() -> list:
    """Settings that pass the syntax check but open the platform to everyone."""
    errors = []
    if not settings.ALLOWED_HOSTS or any(host == "*" or host.startswith(".") for host in settings.ALLOWED_HOSTS):
        errors.append(_error(14, f"IDP_ALLOWED_HOSTS={','.join(settings.ALLOWED_HOSTS)!r} is empty or a wildcard: "
                                 "any Host header would be believed (links in messages, the issuer's pages).",
                             "List the platform's host names, e.g. IDP_ALLOWED_HOSTS=id.example.gov.cn."))
    issuer_host = urlsplit(settings.IDP_ISSUER).hostname or ""
    if issuer_host and issuer_host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        errors.append(_error(17, f"IDP_ALLOWED_HOSTS does not name the issuer's host {issuer_host!r}: every "
                                 "request to the platform would be refused.",
                             f"Add it: IDP_ALLOWED_HOSTS={issuer_host}"))
    for proxy in settings.IDP_TRUSTED_PROXIES:
        try:
            network = ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            continue  # idp.E010
        if network.prefixlen < (8 if network.version == 4 else 32):
            errors.append(_error(15, f"IDP_TRUSTED_PROXIES: {proxy!r} trusts a large part of the internet: any "
                                     "client could choose its address (and escape its throttles and locks).",
                                 "Name only the reverse proxies' addresses or their small subnets."))
    rp_id = settings.IDP_WEBAUTHN_RP_ID
    if _is_address(rp_id) or not (issuer_host == rp_id or issuer_host.endswith("." + rp_id)):
        if settings.IDP_WEBAUTHN_RP_ID_SETTING:
            errors.append(_error(18, f"IDP_WEBAUTHN_RP_ID={rp_id!r} is an IP address or not the issuer's host (or a "
                                     "domain above it): browsers would refuse every passkey.",
                                 "Leave it empty (the issuer's host) or set the registrable domain, "
                                 "e.g. example.gov.cn."))
        else:  # an issuer at an IP address (a test rig): the platform runs, without passkeys
            errors.append(checks.Warning(f"IDP_ISSUER's host {issuer_host!r} is an IP address: browsers refuse it "
                                         "as a passkey domain, so passkeys are off.",
                                         hint="Serve the platform under a domain name.", id="idp.W018"))
    for name in ("IDP_SMS_HTTP_URL", "IDP_REALNAME_HTTP_URL"):
        url = getattr(settings, name)
        if url and not url.startswith("https://") and not _loopback(url):
            errors.append(_error(16, f"{name} is not https: codes and identity numbers would travel in clear.",
                                 f"Use the gateway's https:// address for {name}."))
    return errors


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _loopback(url: str) -> bool:
    try:
        return ipaddress.ip_address(urlsplit(url).hostname or "").is_loopback
    except ValueError:
        return urlsplit(url).hostname == "localhost"


@checks.register(checks.Tags.database, deploy=True)
def no_demo_passwords(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    from django.contrib.auth import get_user_model

    errors = []
    for account in get_user_model().objects.filter(login_name__in=list(DEMO_PASSWORDS)):
        if account.check_password(DEMO_PASSWORDS[account.login_name]):
            errors.append(_error(12, f"The demo account {account.login_name!r} has the README's password.",
                                 "Delete the demo accounts (load_demo is for development only)."))
    return errors


@checks.register(checks.Tags.database, deploy=True)
def no_superusers(app_configs=None, databases=None, **kwargs):
    """等保 2.0 三权分立: a superuser holds the system, security and audit administrators' rights at once."""
    if not databases:
        return []
    from django.contrib.auth import get_user_model

    names = list(get_user_model().objects.filter(is_superuser=True, is_active=True)
                 .values_list("login_name", flat=True)[:5])
    if not names:
        return []
    return [_error(19, f"Superuser accounts hold every administrator right at once: {', '.join(names)}.",
                   "Give each administrator one role instead: manage.py admin_role <login_name> "
                   "system|security|audit (it ends the superuser right).")]


def refuse_unsafe_start() -> None:
    """Called by the WSGI application under production settings: any error above stops it.
    The settings are checked first; the database check runs only if they pass and the
    database answers (a server may start before its database is up)."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    errors = [m for m in checks.run_checks(include_deployment_checks=True) if m.level >= checks.ERROR]
    try:
        errors = errors or no_demo_passwords(databases=["default"]) + no_superusers(databases=["default"])
    except DatabaseError:
        pass
    if errors:
        raise ImproperlyConfigured("Refusing to start:\n" + "\n".join(f"{e.id}: {e.msg}" for e in errors))
