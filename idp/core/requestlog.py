"""One JSON line per request on standard output, and a request id that every log line of the
request carries (CONTRACT.md, Operations).

`RequestLog` wraps the whole WSGI application (config/wsgi.py), so both middleware lists'
requests are logged alike. The request id is taken from `X-Request-ID` when the proxy sent
a sane one, made otherwise, and returned in the response. Never logged: query strings and
bodies (codes, tickets, tokens, passwords travel there) and the secret part of a path.
"""

import contextvars
import json
import logging
import os
import re
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from django.utils.functional import empty

from idp.core import metrics
from idp.core.http import client_ip

REQUEST_ID = contextvars.ContextVar("request_id", default=None)
ACCOUNT_KEY = "idp.account_id"  # set in the WSGI environ by AccountForLogMiddleware
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The secret part of a path (the single-use set-password link), wherever it appears in a line:
# Django's own "Not Found: <path>" warnings quote paths too.
_SECRET_PATH = re.compile(r"/password/set/[^/\s]+/")
_quote = json.encoder.encode_basestring  # a JSON string literal (C), non-ASCII kept as is
_stamp = (0, "")  # (second, its ISO text): one strftime per second, whichever thread makes it


def redacted(text: str) -> str:
    return _SECRET_PATH.sub("/password/set/[redacted]/", text)


class RequestLog:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SANE_ID.fullmatch(incoming) else os.urandom(16).hex()
        token = REQUEST_ID.set(request_id)
        answered = {"status": 500}  # unless the application says otherwise

        def start(status, headers, exc_info=None):
            answered["status"] = int(status[:3])
            return start_response(status, [*headers, ("X-Request-ID", request_id)], exc_info)

        try:
            return self.app(environ, start)
        finally:
            # Logged when the application returns its response (streamed bodies: before they stream).
            REQUEST_ID.reset(token)
            seconds = time.perf_counter() - started
            write_line(request_line(environ, request_id, answered["status"], seconds))
            metrics.observe_request(environ.get("PATH_INFO", ""), answered["status"], seconds)


def request_line(environ, request_id: str, status: int, seconds: float) -> str:
    """The request's JSON line, assembled by hand: on the machine endpoints a generic encoder
    cost as much as the request. Strings from the request are escaped; the request id is sane
    (checked above) and the rest are numbers."""
    account = environ.get(ACCOUNT_KEY)
    return (f'{{"time":"{_timestamp(time.time())}","level":"INFO","logger":"idp.request","message":"request",'
            f'"request_id":"{request_id}","method":{_quote(environ.get("REQUEST_METHOD", "")[:16])},'
            f'"path":{_quote(redacted(environ.get("PATH_INFO", "")[:500]))},"status":{int(status)},'
            f'"duration_ms":{seconds * 1000:.2f},"client":{_quote(client_ip(SimpleNamespace(META=environ)))}'
            + (f',"account_id":{int(account)}' if account is not None else "") + "}")


def _timestamp(now: float) -> str:
    global _stamp
    second = int(now)
    if _stamp[0] != second:
        _stamp = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{_stamp[1]}.{int((now - second) * 1000):03d}+00:00"


def write_line(line: str) -> None:
    """One write to standard output per line, unbuffered (a crash loses nothing) and whole (a
    line under the pipe's 4 KiB is never interleaved with another thread's). The request line
    skips the logging module's records, which cost more than a machine endpoint's request."""
    os.write(1, (line + "\n").encode())


class AccountForLogMiddleware:
    """Hands the signed-in account's id to RequestLog, without loading it for requests that
    did not (a session look-up just for the log would cost a query)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "_wrapped", None) is not empty and user.is_authenticated:
            request.META[ACCOUNT_KEY] = user.pk
        return response


def stamp_records_with_the_request_id() -> None:
    """Every log record made during a request carries its id (`record.request_id`), whenever
    and wherever it is formatted."""
    make = logging.getLogRecordFactory()
    if getattr(make, "stamps_request_id", False):
        return

    def stamped(*args, **kwargs):
        record = make(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    stamped.stamps_request_id = True
    logging.setLogRecordFactory(stamped)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", "error"}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": redacted(record.getMessage())}
        if (request_id := getattr(record, "request_id", None)) is not None:  # stamped when made
            entry["request_id"] = request_id
        if record.exc_info:
            entry["error"] = redacted(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)
