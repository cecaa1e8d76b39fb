"""Issue 26: messages in the recipient's language, text kept in the source language.

The citizen's SMS after a review was written in the reviewer's language; a reset code's SMS was
always Chinese; stored reasons were in the language of whoever caused them."""

import pytest
from django.conf import settings
from django.test import Client

from idp.accounts.models import Account
from idp.realname import services
from idp.realname.models import Submission
from tests import factories
from tests.factories import outbox_messages, upload

pytestmark = pytest.mark.django_db


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_language_switch_and_the_login_remember_the_persons_language(client):
    person = factories.natural_account("speaks_english")
    assert person.language == "zh-hans"
    factories.sign_in(client, person)
    client.post("/i18n/setlang/", {"language": "en", "next": "/online/"})
    assert Account.objects.get(pk=person.pk).language == "en"
    chinese_login = Client()
    person.refresh_from_db()  # as a login loads it
    factories.sign_in(chinese_login, person)  # a login from a Chinese page
    assert Account.objects.get(pk=person.pk).language == "zh-hans"


def test_a_review_result_is_sent_in_the_citizens_language_not_the_reviewers(django_capture_on_commit_callbacks):
    citizen = factories.natural_account("english_citizen")
    Account.objects.filter(pk=citizen.pk).update(language="en")
    services.submit_documents(account=citizen, files={"id_front": upload("f.png"), "id_back": upload("b.png")},
                              actor=citizen)
    reviewer = Client()  # works in Chinese
    factories.sign_in(reviewer, factories.staff("chinese_reviewer"))
    submission = Submission.objects.get(account=citizen)
    reviewer.get(f"/console/review/{submission.pk}/")
    with django_capture_on_commit_callbacks(execute=True):
        reviewer.post(f"/console/review/{submission.pk}/decide/", {"decision": "reject", "reason": "照片不清晰"})
    (sms,) = [m for m in outbox_messages() if m["phone"] == citizen.phone]
    assert "did not pass" in sms["text"] or "not approved" in sms["text"], sms["text"]
    assert "照片不清晰" in sms["text"]  # the reviewer's own words as written


def test_a_reset_code_asked_for_on_an_english_page_comes_in_english(client):
    from tests.recovery.test_reset import lookup, send_code

    person = factories.natural_account("english_reset", mobile="13944440001")
    _english(client)
    lookup(client, "english_reset")
    send_code(client, person)
    (sms,) = [m for m in outbox_messages() if m["phone"] == person.phone]
    assert sms["code"] in sms["text"] and not any("\u4e00" <= ch <= "\u9fff" for ch in sms["text"]), sms["text"]


def test_a_stored_reason_is_kept_in_chinese_and_read_in_each_readers_language(client):
    """The registry's refusal, caused from an English page, is stored in the source language and
    shown in English to an English reader, in Chinese to a Chinese one."""
    person = factories.natural_account("reason_reader", name="张三")  # not in the reference registry
    factories.sign_in(client, person)
    _english(client)
    client.post("/online/verification/check/")
    stored = Account.objects.get(pk=person.pk).realname_reason
    assert stored and any("\u4e00" <= ch <= "\u9fff" for ch in stored)
    english = client.get("/online/profile/").content.decode()
    chinese = Client()
    factories.sign_in(chinese, person)
    assert stored in chinese.get("/online/profile/").content.decode()
    assert stored not in english
