"""Requests through `config.wsgi.application`, the entry point production serves (granian), rather
than through Django's test handler: the host check, the two middleware lists, the request log
and the error answers are the ones production has.

`call()` sends one raw WSGI request; `ProductionClient` is Django's test client with the same
entry point underneath, and it sends forms as a browser does — with the CSRF token of its cookie.
"""

import io
from contextlib import contextmanager
from wsgiref.util import setup_testing_defaults

from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django.utils.crypto import get_random_string


@contextmanager
def _connection_kept():
    """As Django's test client does: a test's open transaction must survive the request (the
    handler would close a connection that is not in autocommit mode). Outside one — tests with
    transaction=True — the connection is managed exactly as in production."""
    if not connection.in_atomic_block:
        yield
        return
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _application():
    from config.wsgi import application

    return application


def call(method, path, body=b"", *, query="", content_type=None, host="127.0.0.1", **headers):
    """One request: (status, headers, body)."""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body)), "SERVER_NAME": "127.0.0.1", "HTTP_HOST": host,
               "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1"}
    if body or content_type:
        environ["CONTENT_TYPE"] = content_type or "application/x-www-form-urlencoded"
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    setup_testing_defaults(environ)
    captured = {}

    def start_response(status, response_headers, exc_info=None):
        captured["status"], captured["headers"] = int(status.split()[0]), dict(response_headers)

    with _connection_kept():
        chunks = _application()(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
    return captured["status"], captured["headers"], content


class _EntryPointHandler:
    """What Django's test client calls with a WSGI environ, answering the response object."""

    def __call__(self, environ):
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers

        with _connection_kept():
            result = _application()(environ, start_response)
            if isinstance(result, HttpResponseBase) and not result.streaming:
                response = result
                response.content  # noqa: B018  (read before close, as a server would)
            else:  # a file wrapper or a streamed body: rebuilt from what was sent
                response = HttpResponse(b"".join(result), status=int(captured["status"][:3]))
                for name, value in captured["headers"]:
                    if name.lower() != "set-cookie":
                        response[name] = value
            result.close()
        response.wsgi_request = WSGIRequest(environ)
        return response


class ProductionClient(Client):
    """Django's test client over config.wsgi.application. Its form posts carry the CSRF token as
    a browser's would (`browser_forms=False` sends exactly what the test gives)."""

    def __init__(self, *, browser_forms: bool = True, **defaults):
        super().__init__(**defaults)
        self.handler = _EntryPointHandler()
        self.browser_forms = browser_forms

    def _csrf_token(self) -> str:
        cookie = self.cookies.get(settings.CSRF_COOKIE_NAME)
        if cookie is None:
            self.cookies[settings.CSRF_COOKIE_NAME] = get_random_string(32)
            cookie = self.cookies[settings.CSRF_COOKIE_NAME]
        return cookie.value

    def post(self, path, data=None, content_type=MULTIPART_CONTENT, **extra):
        page = path.split("?")[0] not in settings.MACHINE_PATHS
        if self.browser_forms and page and (data is None or isinstance(data, dict)):
            data = {"csrfmiddlewaretoken": self._csrf_token(), **(data or {})}
        return super().post(path, data, content_type, **extra)
