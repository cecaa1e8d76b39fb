"""Messages to people (one-time codes, review results) leave through the job queue: the request
that asks for one only stores it, sealed, and a worker sends it with a few quick retries.

A code that still could not be sent is withdrawn, so it does not hold back the next request
(resend pause, daily caps). Old codes are purged once they no longer count against the caps.
"""

import json
import logging
import time
from datetime import timedelta

from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from idp.core import crypto, jobs
from idp.core.metrics import SMS
from idp.notify import sms
from idp.notify.models import OneTimeCode

log = logging.getLogger(__name__)

_AAD = "notify.message"
RETRY_WAITS = (2, 5)  # seconds before the second and third try: a code is valid for minutes
CODES_KEPT_DAYS = 2  # the daily caps count a day back


def queue(*, to: str, purpose: str, text: str, code: str = "", code_id: int | None = None,
          email: bool = False) -> None:
    """Send `text` to the phone (or, with email=True, the address) `to` from a worker, once the
    current transaction commits. The queued job holds the message sealed, written in the
    language active now (the worker has none): the subject of an e-mail too."""
    message = {"to": to, "purpose": purpose, "text": text, "code": code, "code_id": code_id, "email": email,
               "subject": _("政务服务平台验证码") if email else ""}
    jobs.enqueue("idp.notify.tasks.deliver", crypto.encrypt(json.dumps(message), aad=_AAD))


def _send(message: dict) -> None:
    if message["email"]:
        send_mail(message.get("subject") or _("政务服务平台验证码"), message["text"], None, [message["to"]])
    else:
        sms.send(sms.SmsMessage(phone=message["to"], purpose=message["purpose"], text=message["text"],
                                code=message["code"]))


def deliver(sealed: str) -> bool:
    """The job: send the message; True once sent."""
    message = json.loads(crypto.decrypt(sealed, aad=_AAD))
    code_id = message["code_id"]
    if code_id and not OneTimeCode.objects.filter(pk=code_id, used_at__isnull=True,
                                                  expires_at__gt=timezone.now()).exists():
        return False  # spent, expired or withdrawn meanwhile: sending it would only confuse
    for wait in (0, *RETRY_WAITS):
        time.sleep(wait)
        try:
            _send(message)
        except (sms.SmsDeliveryError, OSError) as error:
            failure = error
        else:
            return True
    SMS.labels("undelivered").inc()
    log.warning("message not delivered: %s", type(failure).__name__,
                extra={"purpose": message["purpose"], "error": str(failure)[:200]})
    if code_id:
        OneTimeCode.objects.filter(pk=code_id).delete()
    return False


def purge() -> int:
    return jobs.delete_in_batches(
        OneTimeCode.objects.filter(created_at__lt=timezone.now() - timedelta(days=CODES_KEPT_DAYS)))
