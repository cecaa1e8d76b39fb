"""The audit log's tamper-evident chain (audit/chain.py): sealed every minute and by audit_verify,
which names the first entry edited, deleted or moved."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from idp.audit import chain
from idp.audit.log import audit_row, record
from idp.audit.models import AuditEntry, Event
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db


def entries(n=5, account=None):
    return [record(Event.LOGIN, account=account, ip="10.0.0.1", method="password", n=i) for i in range(n)]


def test_a_sealed_log_verifies_and_the_command_says_so():
    account = factories.natural_account()
    entries(5, account)
    assert chain.seal() == AuditEntry.objects.count()
    assert chain.verify().intact
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "chain intact" in out.getvalue()


def test_an_edited_entry_is_named():
    written = entries(6)
    chain.seal()
    AuditEntry.objects.filter(pk=written[3].pk).update(detail={"method": "passkey", "n": 3})
    verdict = chain.verify()
    place = AuditEntry.objects.get(pk=written[3].pk).chain_seq
    assert verdict.entry_id == written[3].pk and verdict.broken_at == place and verdict.checked == place - 1
    with pytest.raises(CommandError, match=f"entry id {written[3].pk}"):
        call_command("audit_verify", stdout=io.StringIO())


def test_a_deleted_entry_breaks_the_chain_where_it_was():
    written = entries(6)
    chain.seal()
    place = AuditEntry.objects.get(pk=written[2].pk).chain_seq
    AuditEntry.objects.filter(pk=written[2].pk).delete()
    verdict = chain.verify()
    assert verdict.broken_at == place and "missing" in verdict.reason


def test_a_re_attributed_entry_is_named_but_a_deleted_account_breaks_nothing():
    victim, other = factories.natural_account(), factories.natural_account()
    [entry] = entries(1, victim)
    chain.seal()
    victim.delete()  # the foreign key becomes NULL; the entry keeps whom it was about
    assert chain.verify().intact
    AuditEntry.objects.filter(pk=entry.pk).update(account_ref=other.pk)
    assert chain.verify().entry_id == entry.pk


def test_entries_written_later_and_in_bulk_extend_the_chain():
    entries(3)
    chain.seal()
    AuditEntry.objects.bulk_create([AuditEntry(**audit_row(Event.GRANT_CREATED, account_id=None, system="s"))
                                    for _ in range(4)])
    entries(2)
    assert chain.state()["waiting"] == 6
    assert chain.seal() == 6 and chain.state()["waiting"] == 0
    assert chain.verify().intact and chain.verify(from_seq=4).checked == 6


def test_one_day_at_a_time():
    entries(3)
    chain.seal()
    today = timezone.localdate().isoformat()
    assert chain.verify(day=today).checked == 3
    assert chain.verify(day="2001-01-01").checked == 0


def test_the_console_shows_how_far_the_chain_is_sealed(client):
    staff = factories.staff()
    factories.sign_in(client, staff)  # with its second factor passed
    entries(2)
    chain.seal()
    page = client.get("/console/audit/")
    assert page.status_code == 200 and "防篡改校验链" in page.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_make_one_chain():
    entries(300)
    results = run_together(chain.seal, chain.seal, chain.seal)
    assert sum(results) == 300
    assert chain.verify().intact and chain.verify().checked == 300
