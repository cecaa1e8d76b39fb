"""No process answers from a stale copy (core/broadcast.py): a change made by another process
reaches this one's client cache and key ring at once, and while this process may have missed
a change it reads the database."""

import json

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from idp.core import broadcast
from idp.sso import clients, keys
from idp.sso.models import Client, IdTokenAlg
from tests.oidc.test_revocation import _until
from tests.sso import helpers

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not settings.REDIS_URL, reason="SKIPPED: needs Redis — run with "
                                                                "IDP_REDIS_URL=redis://… (.ci/run does)")]


def _from_another_process(topic: str) -> None:
    """What another node does after its change commits: it announces it."""
    other = type(broadcast.redis_client()).from_url(settings.REDIS_URL)
    other.publish(broadcast.CHANNEL, json.dumps({"t": topic, "d": None}))
    other.close()


def _change_behind_this_process(client: Client, **fields) -> None:
    """A change written by another node: no signal runs in this process."""
    assignments = ", ".join(f"{name} = %s" for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Client._meta.db_table} SET {assignments} WHERE id = %s", [*fields.values(), client.pk])


def test_a_client_changed_on_another_node_is_seen_here_at_once():
    assert _until(broadcast.copies_are_current)  # the first call starts the listener
    rp = helpers.oidc_client("rp-broadcast").client
    assert clients.by_client_id("rp-broadcast").backchannel_logout_uri == ""
    _change_behind_this_process(rp, backchannel_logout_uri="https://rp.example.test/bc")
    assert clients.by_client_id("rp-broadcast").backchannel_logout_uri == ""  # the copy, until told
    _from_another_process(clients.TOPIC)
    assert _until(lambda: clients.by_client_id("rp-broadcast").backchannel_logout_uri != "")


def test_saving_a_client_here_announces_it(django_capture_on_commit_callbacks):
    assert _until(broadcast.copies_are_current)
    rp = helpers.oidc_client("rp-announce").client
    listener = broadcast.redis_client().pubsub(ignore_subscribe_messages=True)
    listener.subscribe(broadcast.CHANNEL)
    listener.get_message(timeout=2)
    rp.backchannel_logout_uri = "https://rp.example.test/bc"
    with django_capture_on_commit_callbacks(execute=True):  # announced when it commits
        rp.save()
    message = listener.get_message(timeout=2)
    listener.close()
    assert message and json.loads(message["data"])["t"] == clients.TOPIC


def test_a_key_rotation_on_another_node_reloads_the_ring_here():
    assert _until(broadcast.copies_are_current)
    before = keys.ring()
    added = keys._create(IdTokenAlg.ES256, timezone.now())  # by another node: no announcement here
    assert keys.ring() is before
    _from_another_process(keys.TOPIC)
    assert _until(lambda: added.kid in keys.ring().kids)


def test_while_not_listening_every_look_up_reads_the_database(monkeypatch):
    rp = helpers.oidc_client("rp-deaf").client
    monkeypatch.setattr(broadcast, "copies_are_current", lambda: False)
    clients.invalidate()
    assert clients.by_client_id("rp-deaf") is not None
    assert clients._cache == {}  # nothing kept
    _change_behind_this_process(rp, backchannel_logout_uri="https://rp.example.test/bc")
    assert clients.by_client_id("rp-deaf").backchannel_logout_uri == "https://rp.example.test/bc"
