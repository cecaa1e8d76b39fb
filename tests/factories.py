"""Shared test data: identifiers built by their algorithms, and accounts."""

import itertools
import json
import random
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings

from idp.accounts.models import (
    AGENT_DOCUMENT,
    LR_DOCUMENT,
    OWN_DOCUMENT,
    Account,
    AccountKind,
    NaturalPerson,
    Organisation,
    set_document,
)
from tests.check_digits import USCC_ALPHABET, organisation_code_check, resident_id_check, uscc_check

PASSWORD = "Passw0rd!x"
_serial = itertools.count(1)


def resident_id(area="110105", born=None, seq=None) -> str:
    """A valid number. Tests that name a `seq` get born 1990-01-01; numbered ones are born a day
    later per thousand, so the two kinds never meet however many accounts a run creates."""
    if seq is None:
        n = next(_serial)
        seq, born = f"{n % 1000:03d}", born or date(1990, 1, 2) + timedelta(days=n // 1000)
    first17 = f"{area}{(born or date(1990, 1, 1)):%Y%m%d}{seq}"
    return first17 + resident_id_check(first17)


def uscc(authority="9", category="1", area="110108", body=None) -> str:
    if body is None:
        n = next(_serial)
        body = f"MA{n:06d}"[-8:]
    org_code = body + organisation_code_check(body)
    first17 = authority + category + area + org_code
    return first17 + uscc_check(first17)


def random_uscc(rng: random.Random) -> str:
    letters = [c for c in USCC_ALPHABET if c.isalnum()]
    body = "".join(rng.choice(letters) for _ in range(8))
    return uscc(authority="9", category=rng.choice("123"), area="310115", body=body)


def phone(n=None) -> str:
    return f"139{(next(_serial) if n is None else n):08d}"


def natural_account(login_name=None, password=PASSWORD, *, id_number=None, mobile=None,
                    name="测试用户") -> Account:
    login_name = login_name or f"user_{next(_serial)}"
    account = Account.objects.create_user(login_name, password, kind=AccountKind.NATURAL,
                                          phone=mobile or phone())
    person = NaturalPerson(account=account, name=name)
    set_document(person, OWN_DOCUMENT, identity_type="mainland", id_type="resident_id",
                 id_number=id_number or resident_id())
    person.save()
    return account


def legal_account(login_name=None, password=PASSWORD, *, code=None, mobile=None,
                  name=None) -> Account:
    login_name = login_name or f"org_{next(_serial)}"
    account = Account.objects.create_user(login_name, password, kind=AccountKind.LEGAL,
                                          phone=mobile or phone())
    org = Organisation(account=account, name=name or f"测试单位{next(_serial)}",
                       region_type="domestic", legal_type="enterprise", uscc=code or uscc(),
                       lr_name="法定代表人", lr_mobile=phone(), agent_name="主代办人")
    set_document(org, LR_DOCUMENT, identity_type="mainland", id_type="resident_id",
                 id_number=resident_id())
    set_document(org, AGENT_DOCUMENT, identity_type="mainland", id_type="resident_id",
                 id_number=resident_id())
    org.save()
    return account


def outbox_messages() -> list[dict]:
    path = Path(settings.IDP_SMS_OUTBOX)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def last_code(phone_number: str, purpose: str | None = None, *, wait: float = 0) -> str:
    """The code of the newest SMS to `phone_number`; `wait` seconds for one sent after the
    response (a live server's deferred work may finish just after the page shows)."""
    import time
    deadline = time.monotonic() + wait
    while True:
        for message in reversed(outbox_messages()):
            if message["phone"] == phone_number and (purpose is None or message["purpose"] == purpose):
                return message["code"]
        if time.monotonic() >= deadline:
            raise AssertionError(f"no SMS to {phone_number} in the outbox")
        time.sleep(0.05)


# --- real-name verification -------------------------------------------------------------------

def reference_rows(kind: str) -> list[dict]:
    """Rows of the shipped reference registry (fictitious identities the `reference` verifier knows)."""
    import csv

    with open(settings.IDP_REALNAME_REFERENCE_CSV, encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["kind"] == kind]


def reference_person(index: int = 1) -> dict:
    return [r for r in reference_rows("person") if r["id_type"] == "resident_id"][index]


def reference_organisation(index: int = 1) -> dict:
    return reference_rows("organisation")[index]


def image_bytes(fmt: str = "PNG", size=(64, 40)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str, data: bytes | None = None, content_type: str = "image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, image_bytes() if data is None else data, content_type=content_type)


PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


# --- business systems and delegation ------------------------------------------------------------

def staff(login_name=None, **fields):
    """A staff account (reviewer, operator)."""
    account = natural_account(login_name, **fields)
    account.is_staff = True
    account.save(update_fields=["is_staff"])
    return account


def verified(account):
    """Mark an account verified (as the registry would) and return it."""
    from idp.accounts.models import RealNameStatus

    account.realname_status = RealNameStatus.REGISTRY_PASSED
    account.save(update_fields=["realname_status"])
    return account


def demo_systems():
    """The four demo business systems by code (高企认定 = gqrd, …)."""
    from idp.catalogue.models import BusinessSystem
    from idp.demo import catalogue as demo

    demo.load()
    return {system.code: system for system in BusinessSystem.objects.all()}


def sign_in(client, account) -> None:
    """A signed-in session as the login leaves it — through accounts.services.log_in, so the
    SSO session starts as after a real login — and for staff with its second factor passed
    (core/permissions.py). Django's force_login alone is a session from before single sign-on
    (started lazily) and, for staff, from before the account was staff."""
    from importlib import import_module

    from django.conf import settings as django_settings
    from django.http import HttpRequest

    from idp.accounts import services
    from idp.core.permissions import SECOND_FACTOR_KEY

    request = HttpRequest()
    request.session = client.session if client.session.session_key else \
        import_module(django_settings.SESSION_ENGINE).SessionStore()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    services.log_in(request, account, backend="idp.accounts.auth.LoginNameBackend")
    if account.is_staff:
        request.session[SECOND_FACTOR_KEY] = 1.0
    request.session.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = request.session.session_key
