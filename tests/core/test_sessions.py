"""The session store on Redis (core/sessions.py): Django's cache store's guarantees in fewer round
trips — a new key never takes over another session, and a session ended elsewhere is not brought
back by a request that still holds it."""

import pytest
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.core.cache import cache

from idp.core import ratelimit
from idp.core.sessions import SessionStore
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not settings.REDIS_URL, reason="the store of Redis")]


def stored(key):
    return SessionStore(key).load() if key else None


def test_a_new_session_is_written_once_and_read_back():
    session = SessionStore()
    session["colour"] = "blue"
    session.save()
    assert SessionStore(session.session_key)["colour"] == "blue"


def test_a_taken_key_is_replaced_not_overwritten(monkeypatch):
    other = SessionStore()
    other["owner"] = "someone else"
    other.save()
    keys = iter([other.session_key, "k" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))
    session = SessionStore()
    session["owner"] = "me"
    session.save()
    assert session.session_key == "k" * 32
    assert stored(other.session_key) == {"owner": "someone else"} and stored("k" * 32) == {"owner": "me"}


def test_must_create_refuses_a_taken_key():
    session = SessionStore()
    session.save()
    again = SessionStore(session.session_key)
    with pytest.raises(CreateError):
        again.save(must_create=True)


def test_a_session_ended_elsewhere_is_not_brought_back():
    session = SessionStore()
    session["_auth_user_id"] = "1"
    session.save()
    holder = SessionStore(session.session_key)
    assert holder["_auth_user_id"] == "1"  # a request that read it before
    SessionStore(session.session_key).delete()  # 退出其他设备, meanwhile
    holder["touched"] = True
    with pytest.raises(UpdateError):
        holder.save()
    assert not SessionStore(session.session_key).exists(session.session_key)


def test_the_key_changes_at_login_and_the_old_session_is_gone(client):
    factories.natural_account("kim")
    session = client.session  # an anonymous session holding something
    session["seen"] = 1
    session.save()
    before = session.session_key
    client.get("/login/")
    response = client.post("/login/", {"kind": "natural", "login_name": "kim", "password": factories.PASSWORD,
                                       "captcha_0": CaptchaStore.objects.order_by("-id").first().hashkey,
                                       "captcha_1": "PASSED"})
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before and SessionStore(after).get("_auth_user_id") and SessionStore(after).get("seen") == 1
    assert not SessionStore().exists(before)


def test_a_counter_starts_its_window_once():
    assert [ratelimit.hit("test-window", "x", window=60) for _ in range(3)] == [1, 2, 3]
    key = cache.make_key("rl:test-window:x")
    client = cache._cache.get_client(key, write=True)
    assert 0 < client.ttl(key) <= 60
    client.persist(key)  # as a bare INCR after the key expired would leave it
    assert ratelimit.hit("test-window", "x", window=60) == 4 and 0 < client.ttl(key) <= 60
