"""Issue 11, items 10 (uploads), 12 (headers) and 13 (重新核验 throttle)."""

import io

import pytest
from django.test import Client
from PIL import Image

from idp.realname import verifiers
from tests import factories

pytestmark = pytest.mark.django_db


def huge_canvas_png() -> bytes:
    """7000×7000 pixels of one colour: a few KB on disk, 49 megapixels when decoded."""
    buffer = io.BytesIO()
    Image.new("1", (7000, 7000)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def test_a_small_file_with_a_huge_canvas_is_refused(client):
    data = huge_canvas_png()
    assert len(data) < 20_000
    client.force_login(factories.natural_account())
    response = client.post("/online/verification/", {
        "id_front": factories.upload("front.png", data), "id_back": factories.upload("back.png")})
    assert "图片尺寸过大" in response.content.decode()
    from idp.realname.models import Submission
    assert not Submission.objects.exists()


def test_an_oversized_body_is_refused_by_its_length_before_it_is_read():
    class Unreadable(io.RawIOBase):
        def read(self, *args):
            raise AssertionError("the body was read")

    client = Client()
    response = client.generic("POST", "/password/appeal/person/", b"", content_type="multipart/form-data; boundary=x",
                              CONTENT_LENGTH=str(100 * 1024 * 1024), **{"wsgi.input": Unreadable()})
    assert response.status_code == 413


def test_pages_carry_a_strict_csp_and_personal_pages_are_not_stored(client):
    page = client.get("/login/")
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    client.force_login(factories.natural_account())
    for url in ("/online/profile/", "/online/profile/edit/", "/online/verification/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "Content-Security-Policy" in response, url
    staff = factories.natural_account("staff_headers")
    staff.is_staff = True
    staff.save()
    factories.sign_in(client, staff)
    assert "no-store" in client.get("/console/")["Cache-Control"]


def test_check_again_is_throttled_per_account_and_ip(client, settings, monkeypatch):
    settings.IDP_RECHECKS_PER_ACCOUNT = 3
    calls = []
    real = verifiers.verifier

    class Counting:
        def check_person(self, query):
            calls.append(query)
            return real().check_person(query)

    monkeypatch.setattr(verifiers, "verifier", Counting)
    client.force_login(factories.natural_account())
    for _ in range(5):
        client.post("/online/verification/check/")
    assert len(calls) == 3
    assert "重新核验过于频繁" in client.get("/online/profile/").content.decode()
    settings.IDP_RECHECKS_PER_ACCOUNT = 100
    settings.IDP_RECHECKS_PER_IP = 4
    other = Client()
    other.force_login(factories.natural_account())
    other.post("/online/verification/check/")  # the 6th from this IP (same test address)
    assert len(calls) == 3
