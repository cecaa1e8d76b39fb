"""SMS channels. IDP_SMS_BACKEND chooses one: `outbox` (a file, for development and tests;
it stands in for a gateway that cannot exist here) or `http` (a real gateway)."""

import json
import logging
import os
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    purpose: str
    text: str
    code: str = ""


class SmsDeliveryError(Exception):
    pass


class OutboxChannel:
    """Appends each message as one JSON line (phone, purpose, code, text, at) to a file."""

    def __init__(self, path: str):
        self.path = path

    def send(self, message: SmsMessage) -> None:
        line = json.dumps(
            {
                "phone": message.phone,
                "purpose": message.purpose,
                "code": message.code,
                "text": message.text,
                "at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
        )
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        # One write() of a line shorter than PIPE_BUF on an O_APPEND file is atomic, so
        # concurrent workers never interleave their lines.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


class HttpChannel:
    """POSTs {"phone", "text"} as JSON to a gateway with a bearer token; 2xx means accepted."""

    def __init__(self, url: str, token: str, timeout: float = 5.0):
        if not url:
            raise ImproperlyConfigured("IDP_SMS_BACKEND=http needs IDP_SMS_HTTP_URL")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, message: SmsMessage) -> None:
        body = json.dumps({"phone": message.phone, "text": message.text}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise SmsDeliveryError(f"gateway answered {response.status}")
        except OSError as exc:
            log.warning("SMS gateway unreachable: %s", exc)
            raise SmsDeliveryError(str(exc)) from exc


def channel():
    backend = settings.IDP_SMS_BACKEND
    if backend == "outbox":
        return OutboxChannel(settings.IDP_SMS_OUTBOX)
    if backend == "http":
        return HttpChannel(settings.IDP_SMS_HTTP_URL, settings.IDP_SMS_HTTP_TOKEN)
    raise ImproperlyConfigured(f"IDP_SMS_BACKEND: unknown backend {backend!r}")


def send(message: SmsMessage) -> None:
    channel().send(message)
