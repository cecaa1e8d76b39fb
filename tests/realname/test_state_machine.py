"""The verification state machine through registration, profile edits and reviews."""

import pytest

from idp.accounts.models import Account, RealNameStatus
from idp.audit.models import AuditEntry, Event
from idp.realname import services
from idp.realname.models import Submission, SubmissionStatus
from tests import factories
from tests.accounts.test_registration import legal_data, natural_data

pytestmark = pytest.mark.django_db


def register_reference_person(client, row, login_name="ref_person", phone="13912340001"):
    data = natural_data(client, login_name=login_name, name=row["name"], id_number=row["id_number"],
                        phone=phone)
    assert client.post("/register/natural/", data).status_code == 302
    return Account.objects.get(login_name=login_name)


def test_person_in_registry_is_verified_right_after_registration(client):
    account = register_reference_person(client, factories.reference_person(3))
    assert account.realname_status == RealNameStatus.REGISTRY_PASSED
    assert account.person.verified_id_index == account.person.id_index
    assert AuditEntry.objects.filter(account=account, event=Event.REALNAME_PASSED).exists()
    client.force_login(account)
    assert "国家平台实名认证通过" in client.get("/online/profile/").content.decode()


def test_organisation_in_registry_is_verified_right_after_registration(client):
    row = factories.reference_organisation(5)
    data = legal_data(client, org_name=row["name"], uscc=row["uscc"], lr_name=row["legal_representative"])
    assert client.post("/register/legal/", data).status_code == 302
    assert Account.objects.get(login_name="acme_tech").realname_status == RealNameStatus.REGISTRY_PASSED


def test_organisation_with_wrong_legal_representative_fails_with_reason(client):
    row = factories.reference_organisation(6)
    data = legal_data(client, org_name=row["name"], uscc=row["uscc"], lr_name="别人")
    client.post("/register/legal/", data)
    account = Account.objects.get(login_name="acme_tech")
    assert account.realname_status == RealNameStatus.REGISTRY_FAILED
    assert "法定代表人姓名" in account.realname_reason


def test_foreign_unit_is_sent_to_manual_verification(client):
    data = legal_data(client, region_type="foreign", uscc="", registration_number="HRB 1")
    client.post("/register/legal/", data)
    account = Account.objects.get(login_name="acme_tech")
    assert account.realname_status == RealNameStatus.REGISTRY_FAILED
    assert "人工认证" in account.realname_reason


def test_wrong_name_fails_with_a_reason_shown_on_my_information(client):
    row = factories.reference_person(4)
    data = natural_data(client, name="错名字", id_number=row["id_number"])
    client.post("/register/natural/", data)
    account = Account.objects.get(login_name="zhang_san")
    assert account.realname_status == RealNameStatus.REGISTRY_FAILED
    client.force_login(account)
    page = client.get("/online/profile/").content.decode()
    assert "实名认证失败" in page and "姓名与证件号码不匹配" in page and "重新核验" in page


def test_second_account_with_the_same_document_registers_but_fails_verification(client):
    """SPEC 2.1: registration allowed; verification names the holder's masked login name."""
    row = factories.reference_person(5)
    first = register_reference_person(client, row, login_name="first_holder")
    assert first.realname_status == RealNameStatus.REGISTRY_PASSED
    second = register_reference_person(client, row, login_name="second_one", phone="13912340002")
    assert second.realname_status == RealNameStatus.REGISTRY_FAILED
    assert "fi***er" in second.realname_reason and "first_holder" not in second.realname_reason


def test_registry_down_leaves_unverified_with_try_again_later(client, settings):
    settings.IDP_REALNAME_VERIFIER = "http"
    settings.IDP_REALNAME_HTTP_URL = "http://127.0.0.1:9/registry"
    settings.IDP_REALNAME_HTTP_RETRIES = 0
    client.post("/register/natural/", natural_data(client))
    account = Account.objects.get(login_name="zhang_san")
    assert account.realname_status == RealNameStatus.UNVERIFIED
    assert "稍后再试" in account.realname_reason
    assert AuditEntry.objects.filter(account=account, event=Event.REALNAME_UNAVAILABLE).exists()


def test_check_again_button(client, settings):
    """重新核验 asks the registry again once it is back."""
    row = factories.reference_person(6)
    settings.IDP_REALNAME_VERIFIER = "http"
    settings.IDP_REALNAME_HTTP_URL = "http://127.0.0.1:9/registry"
    settings.IDP_REALNAME_HTTP_RETRIES = 0
    account = register_reference_person(client, row)
    assert account.realname_status == RealNameStatus.UNVERIFIED
    settings.IDP_REALNAME_VERIFIER = "reference"
    client.force_login(account)
    response = client.post("/online/verification/check/")
    assert response.url == "/online/profile/"
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.REGISTRY_PASSED


def test_correcting_the_name_in_the_profile_verifies(client):
    """Saving identity data runs the automatic check again (SPEC 3)."""
    row = factories.reference_person(7)
    client.post("/register/natural/", natural_data(client, name="错名字", id_number=row["id_number"]))
    account = Account.objects.get(login_name="zhang_san")
    client.force_login(account)
    response = client.post("/online/profile/edit/", {
        "name": row["name"], "identity_type": "mainland", "id_type": "resident_id",
        "id_number": row["id_number"]})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.REGISTRY_PASSED


def test_changing_the_document_of_a_verified_account_verifies_again(client):
    """A verified person who changes the document loses the verification of the old one."""
    row, other = factories.reference_person(8), factories.reference_person(9)
    account = register_reference_person(client, row)
    client.force_login(account)
    client.post("/online/profile/edit/", {"name": row["name"], "identity_type": "mainland",
                                          "id_type": "resident_id", "id_number": other["id_number"]})
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.REGISTRY_FAILED  # name does not match the new one
    assert account.person.verified_id_index is None
    # The old document is free again for another account.
    again = register_reference_person(client, row, login_name="new_holder", phone="13912340003")
    assert again.realname_status == RealNameStatus.REGISTRY_PASSED


def test_non_identity_edit_does_not_touch_verification(client):
    row = factories.reference_person(10)
    account = register_reference_person(client, row)
    client.force_login(account)
    client.post("/online/profile/edit/", {"name": row["name"], "title": "研究员", "identity_type": "mainland",
                                          "id_type": "resident_id", "id_number": row["id_number"]})
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.REGISTRY_PASSED
    assert not AuditEntry.objects.filter(account=account, event=Event.REALNAME_FAILED).exists()


def pending_for(account):
    return services.submit_documents(
        account=account, actor=account,
        files={"id_front": factories.upload("front.png"), "id_back": factories.upload("back.png")})


def test_identity_change_during_review_requires_uploading_again(client):
    account = factories.natural_account("in_review")
    submission = pending_for(account)
    client.force_login(account)
    client.post("/online/profile/edit/", {"name": "新名字", "identity_type": "mainland",
                                          "id_type": "resident_id", "id_number": account.person.id_number})
    submission.refresh_from_db()
    account.refresh_from_db()
    assert submission.status == SubmissionStatus.SUPERSEDED
    assert account.realname_status == RealNameStatus.REGISTRY_FAILED
    assert "重新上传" in account.realname_reason
    page = client.get("/online/verification/").content.decode()
    assert 'type="file"' in page  # uploading is open again


def test_approve_and_reject_transitions(django_capture_on_commit_callbacks):
    reviewer = factories.natural_account("rev")
    account = factories.natural_account("applicant", mobile="13911112222")
    submission = pending_for(account)
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.PENDING_REVIEW
    with django_capture_on_commit_callbacks(execute=True):
        services.reject(submission_id=submission.pk, reviewer=reviewer, reason="照片不清晰")
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.REVIEW_REJECTED
    assert account.realname_reason == "照片不清晰"
    assert "照片不清晰" in factories.outbox_messages()[-1]["text"]

    again = pending_for(account)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve(submission_id=again.pk, reviewer=reviewer)
    account.refresh_from_db()
    assert account.realname_status == RealNameStatus.REVIEW_APPROVED and account.realname_reason == ""
    assert account.person.verified_id_index == account.person.id_index
    assert "审核通过" in factories.outbox_messages()[-1]["text"]
    entry = AuditEntry.objects.get(event=Event.REVIEW_APPROVED)
    assert entry.actor == reviewer and entry.account == account


def test_deciding_twice_is_refused():
    reviewer = factories.natural_account("rev")
    submission = pending_for(factories.natural_account())
    services.approve(submission_id=submission.pk, reviewer=reviewer)
    with pytest.raises(services.AlreadyDecided, match="已处理"):
        services.reject(submission_id=submission.pk, reviewer=reviewer, reason="x")
    with pytest.raises(services.AlreadyDecided):
        services.approve(submission_id=submission.pk, reviewer=reviewer)


def test_reject_needs_a_reason():
    submission = pending_for(factories.natural_account())
    with pytest.raises(services.VerificationError, match="原因"):
        services.reject(submission_id=submission.pk, reviewer=factories.natural_account(), reason=" ")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PENDING


def test_approval_refused_when_the_document_is_verified_elsewhere():
    number = factories.resident_id(seq="777")
    holder = factories.natural_account("holder_1", id_number=number)
    pending = pending_for(factories.natural_account("late_one", id_number=number))
    reviewer = factories.natural_account("reviewer_777")
    services.approve(submission_id=pending_for(holder).pk, reviewer=reviewer)
    with pytest.raises(services.DocumentTaken, match="ho\\*\\*\\*_1"):
        services.approve(submission_id=pending.pk, reviewer=reviewer)
    pending.refresh_from_db()
    assert pending.status == SubmissionStatus.PENDING
    assert Submission.objects.filter(status=SubmissionStatus.APPROVED).count() == 1
