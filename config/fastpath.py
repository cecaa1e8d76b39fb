"""The protocol endpoints that business systems' back ends call thousands of times a second,
served without the browser middleware.

Discovery and JWKS are answered from bytes built once (rebuilt when the key ring changes);
token, introspection, revocation, userinfo, CAS validation and the health probes go straight
to their views.
None of these endpoints uses a session, a cookie, CSRF or a template, which is all the
middleware stack would add; every other path goes through Django as usual.
"""

import logging

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.http import UnreadablePostError
from django.urls import resolve
from redis.exceptions import RedisError

from idp.core.metrics import DEPENDENCY_ERRORS
from idp.sso import params

log = logging.getLogger(__name__)

DIRECT = ["/health/live", "/health/ready", "/metrics",
          "/oidc/token", "/oidc/introspect", "/oidc/revoke", "/oidc/userinfo",
          "/cas/validate", "/cas/serviceValidate", "/cas/proxyValidate", "/cas/p3/serviceValidate",
          "/cas/p3/proxyValidate"]
COMMON_HEADERS = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]


class FastPath:
    def __init__(self, django_app):
        self.django_app = django_app
        self.views = {path: resolve(path).func for path in DIRECT}
        from idp.oidc import views as oidc_views
        from idp.sso import keys

        self.documents = {
            "/.well-known/openid-configuration": (oidc_views.discovery_document, "application/json",
                                                  "public, max-age=3600"),
            "/oidc/jwks": (keys.jwks_json, "application/jwk-set+json", "public, max-age=300"),
        }

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if path in self.documents and method in ("GET", "HEAD"):
            build, content_type, cache = self.documents[path]
            body = build()
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                      ("Cache-Control", cache), ("Access-Control-Allow-Origin", "*"),
                                      *COMMON_HEADERS])
            return [b"" if method == "HEAD" else body]
        view = self.views.get(path)
        if view is None:
            return self.django_app(environ, start_response)
        return self._direct(view, environ, start_response)

    def _direct(self, view, environ, start_response):
        request = WSGIRequest(environ)
        try:
            reason = params.problem(request)
            response = params.refusal(request, reason) if reason else view(request)
        except (SuspiciousOperation, BadRequest, UnreadablePostError):  # e.g. a body over the size limit
            return self._error(start_response, "400 Bad Request", b'{"error":"invalid_request"}')
        except RedisError:  # Redis is restarting or down: codes and tickets live there
            log.exception("redis unavailable on %s", request.path)
            DEPENDENCY_ERRORS.labels("redis").inc()
            return self._error(start_response, "503 Service Unavailable", b'{"error":"temporarily_unavailable"}',
                               ("Retry-After", "1"))
        except (OperationalError, InterfaceError):  # the database restarted, failed over or is down
            log.exception("database unavailable on %s", request.path)
            DEPENDENCY_ERRORS.labels("database").inc()
            close_old_connections()  # the broken connection is closed; the next request opens a new one
            return self._error(start_response, "503 Service Unavailable", b'{"error":"temporarily_unavailable"}',
                               ("Retry-After", "1"))
        except DatabaseError:
            log.exception("database error on %s", request.path)
            DEPENDENCY_ERRORS.labels("database").inc()
            close_old_connections()
            response = None
        except Exception:
            log.exception("error on %s", request.path)
            response = None
        if response is None:
            return self._error(start_response, "500 Internal Server Error", b'{"error":"server_error"}')
        headers = [*response.items(), *COMMON_HEADERS]
        for cookie in response.cookies.values():
            headers.append(("Set-Cookie", cookie.output(header="")))
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [response.content]

    @staticmethod
    def _error(start_response, status: str, body: bytes, *extra_headers):
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                *extra_headers, *COMMON_HEADERS])
        return [body]
