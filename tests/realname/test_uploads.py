"""人工认证 uploads: checked by content, private, one pending submission, read-only once verified."""

import base64

import pytest
from django.test import Client

from idp.accounts.models import RealNameStatus
from idp.audit.models import AuditEntry, Event
from idp.core import crypto
from idp.realname import uploads
from idp.realname.models import EvidenceFile, Submission
from tests import factories
from tests.factories import PDF_BYTES, image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(client):
    account = factories.natural_account("uploader")
    client.force_login(account)
    client.account = account
    return client


@pytest.fixture
def org(client):
    account = factories.legal_account("org_uploader")
    client.force_login(account)
    client.account = account
    return client


def post(client, **files):
    return client.post("/online/verification/", files)


def stored_files():
    from idp.realname.models import PrivateDocument

    return sorted(PrivateDocument.objects.values_list("name", flat=True))


def test_natural_page_has_two_slots_with_samples(person):
    page = person.get("/online/verification/").content.decode()
    assert '<label for="id_id_front">注册人身份证正面</label>' in page
    assert '<label for="id_id_back">注册人身份证反面</label>' in page
    assert page.count(">样式</a>") == 2 and "预览" in page and ">提交</button>" in page
    assert person.get("/static/realname/samples/id_front.png").status_code in (200, 404)  # served by runserver


def test_natural_submission_goes_to_review(person):
    response = post(person, id_front=upload("front.jpg", image_bytes("JPEG"), "image/jpeg"),
                    id_back=upload("back.png"))
    assert response.status_code == 302
    person.account.refresh_from_db()
    assert person.account.realname_status == RealNameStatus.PENDING_REVIEW
    files = {f.slot: f for f in EvidenceFile.objects.all()}
    assert files["id_front"].content_type == "image/jpeg" and files["id_back"].content_type == "image/png"
    for item in files.values():  # random names, no extension, outside static/media
        assert len(item.storage_name) == 32 and "." not in item.storage_name
        assert uploads.read(item.storage_name)
    page = person.get("/online/verification/").content.decode()
    assert "正在等待人工审核" in page and 'type="file"' not in page
    assert AuditEntry.objects.filter(event=Event.EVIDENCE_UPLOADED, account=person.account).exists()


@pytest.mark.parametrize(("data", "name", "content_type"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "evil.jpg", "image/jpeg"),
    (b"<html><script>alert(1)</script></html>", "page.jpg", "image/jpeg"),
    (image_bytes("GIF"), "anim.png", "image/png"),
    (image_bytes("PNG")[:40], "truncated.png", "image/png"),
    (PDF_BYTES, "scan.pdf", "application/pdf"),  # PDFs only for organisation documents
])
def test_wrong_content_is_refused_whatever_the_name(person, data, name, content_type):
    before = stored_files()
    response = post(person, id_front=upload(name, data, content_type), id_back=upload("back.png"))
    assert response.status_code == 200
    assert "文件类型不符" in response.content.decode() or "损坏" in response.content.decode()
    assert not Submission.objects.exists() and stored_files() == before
    person.account.refresh_from_db()
    assert person.account.realname_status != RealNameStatus.PENDING_REVIEW


def test_oversized_file_is_refused(person, settings):
    settings.IDP_UPLOAD_MAX_BYTES = 1000
    response = post(person, id_front=upload("big.png", image_bytes(size=(400, 400))), id_back=upload("b.png"))
    assert "文件大小不能超过" in response.content.decode()
    assert not Submission.objects.exists()


def test_missing_slot_is_named(person):
    response = post(person, id_front=upload("front.png"))
    assert "请上传注册人身份证反面" in response.content.decode()
    assert not Submission.objects.exists()


def test_second_submit_while_pending_is_refused(person):
    post(person, id_front=upload("f.png"), id_back=upload("b.png"))
    response = person.post("/online/verification/", {"id_front": upload("f.png"), "id_back": upload("b.png")},
                           follow=True)
    assert "请勿重复提交" in response.content.decode()
    assert Submission.objects.count() == 1 and EvidenceFile.objects.count() == 2
    assert len(stored_files()) == 2


def test_verified_account_page_is_read_only(person):
    account = person.account
    account.realname_status = RealNameStatus.REGISTRY_PASSED
    account.save()
    page = person.get("/online/verification/").content.decode()
    assert 'type="file"' not in page and ">提交</button>" not in page
    response = post(person, id_front=upload("f.png"), id_back=upload("b.png"))
    assert response.status_code == 200 and "无需再上传" in response.content.decode()
    assert not Submission.objects.exists()


def test_organisation_slots_accept_pdf(org):
    page = org.get("/online/verification/").content.decode()
    for label in ["组织机构代码证", "法定代表人证件信息", "其他资料"]:
        assert label in page
    response = post(org, org_certificate=upload("licence.pdf", PDF_BYTES, "application/pdf"),
                    lr_document=upload("lr.png"))
    assert response.status_code == 302
    assert EvidenceFile.objects.get(slot="org_certificate").content_type == "application/pdf"


def test_broken_pdf_is_refused(org):
    response = post(org, org_certificate=upload("l.pdf", b"%PDF-1.4 truncated", "application/pdf"),
                    lr_document=upload("lr.png"))
    assert "PDF 文件不完整" in response.content.decode()


def test_foreign_unit_must_add_other_documents(org):
    organisation = org.account.organisation
    organisation.region_type, organisation.uscc = "foreign", None
    organisation.save()
    response = post(org, org_certificate=upload("c.png"), lr_document=upload("l.png"))
    assert "请上传其他资料" in response.content.decode()
    response = post(org, org_certificate=upload("c.png"), lr_document=upload("l.png"), other=upload("o.png"))
    assert response.status_code == 302


def test_evidence_is_served_to_owner_and_reviewer_only(person):
    post(person, id_front=upload("f.png"), id_back=upload("b.png"))
    item = EvidenceFile.objects.get(slot="id_front")
    url = f"/realname/evidence/{item.pk}/"

    own = person.get(url)
    assert own.status_code == 200 and own["Content-Type"] == "image/png"
    assert own["Cache-Control"] == "private, no-store" and own["X-Content-Type-Options"] == "nosniff"
    assert own.content == uploads.read(item.storage_name)

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith("/login/")

    stranger = Client()
    stranger.force_login(factories.natural_account("stranger"))
    assert stranger.get(url).status_code == 404
    assert stranger.get("/realname/evidence/not-a-uuid/").status_code == 404

    reviewer = Client()
    staff = factories.natural_account("reviewer_x")
    staff.is_staff = True
    staff.save()
    factories.sign_in(reviewer, staff)
    assert reviewer.get(url).status_code == 404  # only once the case is open (issue 25)
    submission = item.submission
    assert reviewer.get(f"/console/review/{submission.pk}/").status_code == 200
    assert reviewer.get(url).status_code == 200
    assert AuditEntry.objects.filter(event=Event.EVIDENCE_VIEWED, actor=staff).count() == 1

    colleague = Client()
    factories.sign_in(colleague, factories.staff("reviewer_y"))
    page = colleague.get(f"/console/review/{submission.pk}/").content.decode()
    assert "正由审核员 reviewer_x 处理" in page and url not in page
    assert colleague.get(url).status_code == 404


def test_documents_are_kept_encrypted_in_the_database(person):
    from django.db import connection

    from idp.realname.models import PrivateDocument

    image = upload("f.png")
    original = image.read()
    image.seek(0)
    post(person, id_front=image, id_back=upload("b.png"))
    item = EvidenceFile.objects.get(slot="id_front")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT content FROM {PrivateDocument._meta.db_table} WHERE name = %s", [item.storage_name])
        (stored,) = cursor.fetchone()
    assert stored.startswith("v2:") and base64.b64encode(original).decode()[:40] not in stored
    assert uploads.read(item.storage_name) == original
    # bound to its name: moved to another row it does not decrypt
    PrivateDocument.objects.filter(name=item.storage_name).update(name="other")
    with pytest.raises(crypto.UndecryptableError):
        uploads.read("other")


def test_documents_of_earlier_versions_are_moved_from_disk_by_the_migration(tmp_path, monkeypatch):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("idp.realname.migrations.0002_private_documents")
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / ("ab" * 16)).write_bytes(b"an old scan")
    monkeypatch.setenv("IDP_PRIVATE_STORAGE", str(tmp_path))
    migration.import_files_from_disk(apps, None)
    migration.import_files_from_disk(apps, None)  # run again: nothing doubled
    assert uploads.read("ab" * 16) == b"an old scan"


def test_the_sample_opens_on_a_page_with_the_way_back(person):
    upload_page = person.get("/online/verification/").content.decode()
    assert 'href="/online/verification/sample/id_front/">样式</a>' in upload_page
    assert 'target="_blank"' not in upload_page
    page = person.get("/online/verification/sample/id_front/").content.decode()
    assert "样式:注册人身份证正面" in page and "/static/realname/samples/id_front.png" in page
    assert "不是真实证件" in page and 'href="/online/verification/">返回上传材料</a>' in page
    assert person.get("/online/verification/sample/nothing/").status_code == 404
