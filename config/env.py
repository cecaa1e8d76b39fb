"""The one place deployment configuration is read from.

Every variable is optional and has a documented default (docs/operators.md, "Configuration").
A variable `X` may instead be given as `X_FILE`, the path of a file holding the value,
so secrets can come from mounted files rather than the process environment.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# Development-only secrets. production.py refuses to start while any of these is in use.
DEV_SECRET_KEY = "dev-only-secret-key-never-use-in-production-0123456789abcdef"
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktbmV2ZXItaW4tcHJvZCE="  # base64 of 32 bytes

DEFAULTS = {
    "IDP_DATABASE_URL": f"sqlite:///{VAR_DIR / 'idp.sqlite3'}",
    "IDP_DATABASE_REPLICA_URL": "",  # a streaming standby for lag-tolerant reads (idp/core/replica.py)
    "IDP_REDIS_URL": "",
    "IDP_ISSUER": "http://127.0.0.1:8000",
    "IDP_SMS_BACKEND": "outbox",
    "IDP_SMS_OUTBOX": str(VAR_DIR / "sms-outbox.jsonl"),
    "IDP_SMS_HTTP_URL": "",
    "IDP_SMS_HTTP_TOKEN": "",
    "IDP_CAPTCHA": "image",
    "IDP_ALLOW_TEST_HOOKS": "0",
    "IDP_REALNAME_VERIFIER": "reference",
    "IDP_REALNAME_REFERENCE_CSV": str(BASE_DIR / "idp" / "realname" / "data" / "reference_registry.csv"),
    "IDP_REALNAME_HTTP_URL": "",
    "IDP_REALNAME_HTTP_TOKEN": "",
    "IDP_REALNAME_HTTP_TIMEOUT": "3",
    "IDP_REALNAME_HTTP_RETRIES": "2",
    "IDP_UPLOAD_MAX_BYTES": str(1024 * 1024),
    "IDP_SECRET_KEY": DEV_SECRET_KEY,
    "IDP_DATA_KEY": DEV_DATA_KEY,
    "IDP_ENCRYPTION_KEYS": "",
    "IDP_DEBUG": "0",
    "IDP_ALLOWED_HOSTS": "127.0.0.1,localhost,[::1]",
    "IDP_SUPPORT_PHONE": "010-88659000",
    # The footer's 主办单位 and ICP 备案号 (the 备案号 is left out while empty).
    "IDP_SITE_OWNER": "政务服务平台",
    "IDP_SITE_OWNER_EN": "",  # the owner's name on English pages (default: the default owner's, translated)
    "IDP_ICP_NUMBER": "",
    "IDP_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "IDP_EMAIL_HOST": "localhost",
    "IDP_EMAIL_FROM": "noreply@idp.localhost",
    "IDP_RESET_LINK_HOURS": "24",
    # Reverse proxies whose client-address header is believed (addresses or CIDRs, comma-
    # separated); `none` says there is no proxy. Production refuses to start without it.
    "IDP_TRUSTED_PROXIES": "",
    # Origins of the legacy platform's transfer page allowed to call the lookup API (CORS).
    "IDP_LEGACY_ORIGINS": "",
    # Appeals that move an account to another phone need a second reviewer: `1`/`0`; empty means
    # on under production settings and off in development.
    "IDP_APPEAL_SECOND_REVIEWER": "",
    "IDP_CLIENT_IP_HEADER": "X-Forwarded-For",
    # Bearer token for GET /metrics; without it only loopback may scrape, and only in development.
    "IDP_METRICS_TOKEN": "",
    # Seconds a SAML service provider's clock may be ahead of ours (an assertion's NotBefore is
    # this far in the past) or behind (an AuthnRequest's IssueInstant may be this far ahead).
    "IDP_SAML_CLOCK_SKEW": "60",
    "IDP_CRYPTO_SUITE": "international",
    "IDP_SESSION_IDLE_MINUTES": "60",
    "IDP_STAFF_SESSION_IDLE_MINUTES": "30",
    "IDP_SESSION_MAX_HOURS": "8",
    "IDP_STAFF_DORMANT_DAYS": "90",
    "IDP_STAFF_PASSWORD_MAX_DAYS": "90",
    "IDP_AUDIT_SINK": "",
    "IDP_AUDIT_RETENTION_DAYS": "180",
    # The WebAuthn relying-party ID passkeys are bound to: a registrable domain (browsers refuse
    # IP addresses); empty means the host of IDP_ISSUER.
    "IDP_WEBAUTHN_RP_ID": "",
    # Worker processes of each background-job cluster (`manage.py qcluster`).
    "IDP_QUEUE_WORKERS": "2",
    # Where `make run` serves the two demo business systems (demos/), registered by load_demo.
    "IDP_DEMO_OIDC_URL": "http://127.0.0.1:8001",
    "IDP_DEMO_CAS_URL": "http://127.0.0.1:8002",
}


def get(name: str) -> str:
    """The value of `name`: from `name`, else from the file named by `name_FILE`, else the default."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return DEFAULTS[name]


def get_bool(name: str) -> bool:
    return get(name).strip().lower() in {"1", "true", "yes", "on"}


def get_list(name: str) -> list[str]:
    return [item.strip() for item in get(name).split(",") if item.strip()]


def _hosts_and_ports(netloc_hosts: str) -> tuple[str, str]:
    """`h1:5432,h2:5433` → ("h1,h2", "5432,5433"): libpq's lists, tried in turn (with
    ?target_session_attrs=read-write it connects to whichever is the primary — a failover needs no
    change here). One host gives plain values; "[::1]:5432" is an IPv6 address."""
    hosts, ports = [], []
    for entry in filter(None, netloc_hosts.split(",")):
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            host, _, port = entry.partition(":")
        if port and not port.isdigit():
            raise ImproperlyConfigured(f"IDP_DATABASE_URL: {entry!r} has no valid port")
        hosts.append(unquote(host))
        ports.append(port)
    if len(hosts) > 1 and any(ports) and not all(ports):
        raise ImproperlyConfigured("IDP_DATABASE_URL: give every host its port, or none")
    return ",".join(hosts), ",".join(ports) if any(ports) else ""


def _pool_sizes(value: str) -> dict:
    """psycopg_pool's sizes from "MIN-MAX" or "N"; a request waits at most 5 s for a free connection,
    then fails as a database outage does (503 with Retry-After)."""
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", value)
    low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
    if not 1 <= low <= high:
        raise ImproperlyConfigured(f"IDP_DATABASE_URL: pool={value!r} should be MIN-MAX or N, at least 1")
    return {"min_size": low, "max_size": high, "timeout": 5}


@dataclass(frozen=True)
class DatabaseUrl:
    url: str

    def django(self) -> dict:
        """Django DATABASES['default'] for a sqlite:/// or postgresql:// URL."""
        parsed = urlparse(self.url)
        if parsed.scheme == "sqlite":
            # sqlite:///relative/to/project or sqlite:////absolute/path
            path = Path(self.url.removeprefix("sqlite:///"))
            if not str(path) or str(path) == ".":
                raise ImproperlyConfigured("IDP_DATABASE_URL sqlite:/// needs a file path")
            name = path if path.is_absolute() else BASE_DIR / path
            return {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(name),
                "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            }
        if parsed.scheme in {"postgres", "postgresql"}:
            options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
            # The hot protocol statements (idp/oidc/families.py) are prepared once per connection;
            # Django's own queries are bound client-side and never prepared. Behind a pooler that
            # cannot keep prepared statements, pass ?prepare_threshold=none.
            threshold = options.get("prepare_threshold", "5").lower()
            options["prepare_threshold"] = None if threshold in {"", "none"} else int(threshold)
            # ?pool=MIN-MAX (or ?pool=N): Django's psycopg pool per process instead of one persistent
            # connection per thread (docs/deploy.md, "Connections and pooling").
            if pool := options.pop("pool", ""):
                options["pool"] = _pool_sizes(pool)
            credentials, _, hosts = parsed.netloc.rpartition("@")
            user, _, password = credentials.partition(":")
            host, port = _hosts_and_ports(hosts)
            return {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
                "USER": unquote(user),
                "PASSWORD": unquote(password),
                "HOST": host,
                "PORT": port,
                # Persistent connections: a login must not pay a TCP + auth handshake. (A pool keeps
                # its connections itself; Django refuses both at once.)
                "CONN_MAX_AGE": 0 if "pool" in options else 300,
                "CONN_HEALTH_CHECKS": True,
                "OPTIONS": options,
            }
        raise ImproperlyConfigured(
            f"IDP_DATABASE_URL: unsupported scheme {parsed.scheme!r} (use sqlite:/// or postgresql://)"
        )
