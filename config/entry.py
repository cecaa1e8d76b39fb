"""The one way in (config/wsgi.py). Every request goes through Django's request handling —
ALLOWED_HOSTS, the database connection's age and health checks (request_started and
request_finished), the size limit of the body, the security headers, the page language and
the platform's error answers — along one of two middleware lists:

- settings.MACHINE_MIDDLEWARE for settings.MACHINE_PATHS, the endpoints that business systems'
  back ends and the probes call thousands of times a second (token, introspection, userinfo,
  CAS validation, discovery, JWKS, health, metrics). They use no session, cookie, CSRF or
  template, so their list is short: that is what keeps them fast, not a way around Django;
- settings.MIDDLEWARE for everything else: the pages people see and the protocol steps their
  browsers take (authorize, CAS login, logout).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.urls import get_resolver
from django.utils.module_loading import import_string

_PAGE_ONLY_HOOKS = ("process_view", "process_exception", "process_template_response")


class MachineHandler(WSGIHandler):
    """Django's WSGI handler with the machine endpoints' middleware list."""

    def load_middleware(self, is_async=False):
        self._matches = {}
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.MACHINE_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if any(hasattr(middleware, hook) for hook in _PAGE_ONLY_HOOKS):
                raise ImproperlyConfigured(f"{path}: a machine-endpoint middleware only wraps the call")
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def resolve_request(self, request):
        """The machine paths are a fixed few: each is resolved by the URLconf once, not on every
        request (a walk through every pattern of the platform)."""
        key = (get_resolver(), request.path_info)
        match = self._matches.get(key)
        if match is None:
            match = self._matches[key] = key[0].resolve(request.path_info)
        request.resolver_match = match
        return match


class EntryPoint:
    """Chooses the middleware list by the request's path; both are Django's handler."""

    def __init__(self):
        self.pages = WSGIHandler()
        self.machine = MachineHandler()
        self.machine_paths = frozenset(settings.MACHINE_PATHS)

    def __call__(self, environ, start_response):
        handler = self.machine if environ.get("PATH_INFO", "") in self.machine_paths else self.pages
        return handler(environ, start_response)
