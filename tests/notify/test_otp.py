"""One-time SMS codes: one mechanism, with expiry, single use, attempts and resend limits."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from idp.notify import otp, sms, tasks
from idp.notify.models import OneTimeCode
from tests.factories import last_code, outbox_messages

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def verify(*, phone, purpose, code):
    """What the registration and recovery flows do: check the code, then spend it."""
    otp.consume_code(otp.check_code(phone=phone, purpose=purpose, code=code))


def send(phone=PHONE, purpose="register", ip="10.0.0.1"):
    return otp.send_code(phone=phone, purpose=purpose, ip=ip)


def test_code_is_written_to_outbox_as_json_line():
    """The outbox line has phone, purpose, code, text and at; the code is 6 digits in the text."""
    send()
    [message] = outbox_messages()
    assert set(message) == {"phone", "purpose", "code", "text", "at"}
    assert message["phone"] == PHONE and message["purpose"] == "register"
    assert len(message["code"]) == 6 and message["code"].isdigit()
    assert message["code"] in message["text"] and "5 分钟" in message["text"]


def test_code_is_not_stored_in_plaintext():
    """Only a keyed digest of the code is kept."""
    record = send()
    code = last_code(PHONE)
    assert code not in json.dumps(list(OneTimeCode.objects.values()), default=str)
    assert record.code_digest and len(record.code_digest) == 64


def test_code_accepted_once():
    """A right code works once; the second use is refused as used."""
    send()
    code = last_code(PHONE)
    verify(phone=PHONE, purpose="register", code=code)
    with pytest.raises(otp.CodeError) as exc:
        verify(phone=PHONE, purpose="register", code=code)
    assert exc.value.code == "used" and "已使用" in str(exc.value)


def test_code_bound_to_phone_and_purpose():
    """The code of one phone/purpose is not accepted for another."""
    send()
    code = last_code(PHONE)
    with pytest.raises(otp.CodeError):
        verify(phone="13900000001", purpose="register", code=code)
    with pytest.raises(otp.CodeError):
        verify(phone=PHONE, purpose="reset_password", code=code)
    verify(phone=PHONE, purpose="register", code=code)


def test_expired_code_refused():
    """After 5 minutes the code is refused as expired."""
    record = send()
    OneTimeCode.objects.filter(pk=record.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(otp.CodeError) as exc:
        verify(phone=PHONE, purpose="register", code=last_code(PHONE))
    assert exc.value.code == "expired" and "已过期" in str(exc.value)


def test_attempts_are_limited():
    """After 5 wrong guesses even the right code is refused."""
    send()
    code = last_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        with pytest.raises(otp.CodeError) as exc:
            verify(phone=PHONE, purpose="register", code=wrong)
        assert exc.value.code == "wrong"
    with pytest.raises(otp.CodeError) as exc:
        verify(phone=PHONE, purpose="register", code=code)
    assert exc.value.code == "attempts"


def test_missing_code_and_no_code_sent():
    with pytest.raises(otp.CodeError, match="请输入"):
        verify(phone=PHONE, purpose="register", code=" ")
    with pytest.raises(otp.CodeError, match="请先获取"):
        verify(phone=PHONE, purpose="register", code="123456")


def test_resend_waits_a_minute():
    """A second code for the same phone and purpose within 60 s is refused."""
    send()
    with pytest.raises(otp.CodeError) as exc:
        send()
    assert exc.value.code == "too_soon"
    OneTimeCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    send()
    assert len(outbox_messages()) == 2


def test_daily_cap_per_phone(settings):
    """A phone gets at most IDP_OTP_DAILY_PER_PHONE codes a day."""
    settings.IDP_OTP_DAILY_PER_PHONE = 3
    for i in range(3):
        send(ip=f"10.0.0.{i}")
        OneTimeCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with pytest.raises(otp.CodeError) as exc:
        send(ip="10.0.0.9")
    assert exc.value.code == "phone_cap"


def test_daily_cap_per_ip(settings):
    """One IP gets at most IDP_OTP_DAILY_PER_IP codes a day, whatever the phones."""
    settings.IDP_OTP_DAILY_PER_IP = 2
    send(phone="13900000001")
    send(phone="13900000002")
    with pytest.raises(otp.CodeError) as exc:
        send(phone="13900000003")
    assert exc.value.code == "ip_cap"


def test_undelivered_code_does_not_count(monkeypatch, queued):
    """The code is sent by a worker, with retries; when the gateway stays down the code is
    withdrawn, so the user may ask again at once."""
    tries = []

    def fail(message):
        tries.append(message.code)
        raise sms.SmsDeliveryError("down")

    monkeypatch.setattr(sms, "send", fail)
    monkeypatch.setattr(tasks, "RETRY_WAITS", (0, 0))
    send()
    assert OneTimeCode.objects.count() == 1 and tries == []  # queued, not sent by the request
    assert queued.run() == 1
    assert len(tries) == 3 and not OneTimeCode.objects.exists()
    send()  # no resend pause: the failed code does not count
    assert OneTimeCode.objects.count() == 1


def test_the_queued_message_holds_neither_the_phone_nor_the_code_in_clear(queued):
    send()
    (job,) = queued.jobs()
    assert job["job"] == "idp.notify.tasks.deliver"
    assert PHONE not in str(job["args"]) and "验证码" not in str(job["args"])
    assert not outbox_messages()
    queued.run()
    code = last_code(PHONE)
    assert len(code) == 6 and code not in str(job["args"])


def test_send_api(client):
    """POST /api/sms/send sends a code; a bad phone is 400; a quick resend is 429."""
    response = client.post("/api/sms/send", {"phone": PHONE, "purpose": "register"})
    assert response.status_code == 200 and response.json()["sent"] is True
    assert last_code(PHONE)
    again = client.post("/api/sms/send", {"phone": PHONE, "purpose": "register"})
    assert again.status_code == 429 and "秒后" in again.json()["message"]
    bad = client.post("/api/sms/send", {"phone": "12345", "purpose": "register"})
    assert bad.status_code == 400 and bad.json()["field"] == "phone"
    other = client.post("/api/sms/send", {"phone": PHONE, "purpose": "reset_password"})
    assert other.status_code == 400
    assert client.get("/api/sms/send").status_code == 405


def test_http_channel_posts_to_gateway():
    """The HTTP channel POSTs JSON with a bearer token to the configured gateway."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = {}

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            received["auth"] = self.headers["Authorization"]
            received["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    channel = sms.HttpChannel(f"http://127.0.0.1:{server.server_port}/sms", "tok")
    channel.send(sms.SmsMessage(phone=PHONE, purpose="register", text="hello", code="123456"))
    thread.join(5)
    server.server_close()
    assert received == {"auth": "Bearer tok", "body": {"phone": PHONE, "text": "hello"}}


def test_http_channel_unreachable_gateway():
    """A gateway that does not answer is a delivery error, not a crash."""
    channel = sms.HttpChannel("http://127.0.0.1:9/sms", "tok", timeout=1)
    with pytest.raises(sms.SmsDeliveryError):
        channel.send(sms.SmsMessage(phone=PHONE, purpose="register", text="x"))
