"""Work that runs after the response has been handed to the server, so that neither its
cost nor its failures show in what the client sees (status, body, headers, timing).

Used where doing the work only in some cases would tell an attacker which case it was —
e.g. 登录名重置密码 sends an SMS only when the typed phone is the reserved one. The work runs
when the server closes the response (WSGI `close()`), on the request's thread, before
Django's request_finished handling; outside a request it runs at once. Errors are logged,
never raised.
"""

import logging
import threading

log = logging.getLogger("idp.after_response")
_local = threading.local()


def defer(work) -> None:
    """Run `work()` after the current response; at once when no request is being served."""
    pending = getattr(_local, "pending", None)
    if pending is None:
        _run([work])
    else:
        pending.append(work)


def _run(pending: list) -> None:
    for work in pending:
        try:
            work()
        except Exception:
            log.exception("deferred work failed")


class AfterResponseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pending = _local.pending = []
        try:
            response = self.get_response(request)
        finally:
            _local.pending = None
        if pending:
            response._resource_closers.append(lambda: _run(pending))
        return response
