"""Prometheus metrics (CONTRACT.md, Operations: `GET /metrics`).

Counters and histograms live in this module; the apps count through them (the request wrapper
counts every request, the machine endpoints included; the audit writer counts security events). Gauges
that are facts of the database (review queues, pending logout deliveries) are read when scraped,
from the hooks the owning apps register with `on_scrape`. Under several worker processes set
`PROMETHEUS_MULTIPROC_DIR` to an empty directory: each process writes its counts there and a scrape
adds them up.
"""

import functools
import hmac
import ipaddress
import os

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter("idp_http_requests", "HTTP requests by endpoint group and status class",
                   ["group", "status"])
LATENCY = Histogram("idp_http_request_duration_seconds", "Time to answer, by endpoint group", ["group"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
EVENTS = Counter("idp_audit_events", "Security events written to the audit log (logins, verification, …)",
                 ["event"])
SMS = Counter("idp_sms_codes", "One-time codes: sent, or refused with the reason", ["outcome"])
TOKENS = Counter("idp_token_grants", "Tokens issued by the token endpoint, by grant type", ["grant_type"])
JOBS_REFUSED = Counter("idp_jobs_refused", "Queued tasks refused because they name no job of the platform")
FEDERATION_FAILURES = Counter("idp_federation_failures", "Logins through an upstream identity provider that failed",
                              ["provider", "reason"])
AUDIT_EXPORT_FAILURES = Counter("idp_audit_export_failures",
                                "Audit exports IDP_AUDIT_SINK did not take (the entries go at the next run)")
DEPENDENCY_ERRORS = Counter("idp_dependency_errors", "Errors talking to the database or Redis", ["dependency"])

# Endpoint groups by path prefix, the most specific first.
_GROUPS = [
    ("/oidc/token", "oidc_token"), ("/oidc/introspect", "oidc_introspect"), ("/oidc/revoke", "oidc_revoke"),
    ("/oidc/userinfo", "oidc_userinfo"), ("/oidc/authorize", "oidc_authorize"), ("/oidc/jwks", "oidc_jwks"),
    ("/.well-known/", "oidc_discovery"), ("/oidc/", "oidc_other"),
    ("/cas/login", "cas_login"), ("/cas/logout", "cas_logout"), ("/cas/", "cas_validate"),
    ("/saml/sso", "saml_sso"), ("/saml/slo", "saml_slo"), ("/saml/", "saml_other"),
    ("/login/", "login"), ("/federation/", "federation"), ("/register/", "registration"),
    ("/api/check/", "registration"),
    ("/api/sms/", "sms"), ("/password/", "recovery"), ("/online/", "online"), ("/console/", "console"),
    ("/admin/", "admin"), ("/migration/", "migration"), ("/api/migration/", "migration"),
    ("/health/", "health"), ("/metrics", "metrics"), ("/static/", "static"),
]


@functools.lru_cache(maxsize=4096)
def group_of(path: str) -> str:
    for prefix, group in _GROUPS:
        if path.startswith(prefix):
            return group
    return "other"


@functools.lru_cache(maxsize=256)
def _series(group: str, status_class: str):
    return REQUESTS.labels(group, status_class), LATENCY.labels(group)


def observe_request(path: str, status: int, seconds: float) -> None:
    """Counted for every request (RequestLog): the label look-ups are cached, a few µs in all."""
    count, latency = _series(group_of(path), f"{status // 100}xx")
    count.inc()
    latency.observe(seconds)


_scrape_hooks: list = []


def on_scrape(name: str, documentation: str, read) -> None:
    """Register a gauge read when scraped: `read()` → {value of the label `kind`: number}. Apps may
    share a name, each with its own kinds."""
    _scrape_hooks.append((name, documentation, read))


class _ScrapeTimeGauges(Collector):
    def collect(self):
        families = {}
        for name, documentation, read in _scrape_hooks:
            family = families.setdefault(name, GaugeMetricFamily(name, documentation, labels=["kind"]))
            try:
                values = read()
            except Exception:  # the database is down: the counters still answer
                DEPENDENCY_ERRORS.labels("database").inc()
                continue
            for kind, value in values.items():
                family.add_metric([kind], value)
        yield from families.values()


def exposition() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every worker process's counts
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, EVENTS, SMS, TOKENS, FEDERATION_FAILURES, DEPENDENCY_ERRORS):
            registry.register(collector)
    registry.register(_ScrapeTimeGauges())
    return generate_latest(registry)


def may_scrape(meta: dict) -> bool:
    """With IDP_METRICS_TOKEN: its bearer only. Without it: under production settings nobody;
    in development a request from this machine, not relayed by a proxy."""
    token = settings.IDP_METRICS_TOKEN
    if token:
        given = meta.get("HTTP_AUTHORIZATION", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if settings.IDP_PRODUCTION or meta.get(settings.IDP_CLIENT_IP_META):
        return False
    try:
        return ipaddress.ip_address(meta.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False

