"""Redis Sentinel (issue 32, item 3; core/redis_url.py): with IDP_REDIS_URL=redis+sentinel://…, the
platform's Redis clients follow a failover without a restart. A master, a replica and three Sentinels
of this test's own, on free ports (never the machine's Redis): the master is killed (-9), the
Sentinels promote the replica, and the cache and the change announcements carry on against it."""

import shutil

import pytest
import redis

from idp.core import redis_url
from idp.core.cache import PlatformRedisCache
from tests.multinode.replication import SentinelRedis, until

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


@pytest.fixture
def replicated(tmp_path):
    """(sentinel URL, master port, replica port, the Redis processes)."""
    redises = SentinelRedis(tmp_path)
    yield redises.url, redises.master, redises.replica, redises.processes
    redises.close()


def test_a_sentinel_url_is_read():
    address = redis_url.sentinel_address("redis+sentinel://:s%40cret@10.0.0.1:26379,[::1]:26380/main/3")
    assert address.sentinels == (("10.0.0.1", 26379), ("::1", 26380))
    assert (address.master, address.db, address.password) == ("main", 3, "s@cret")
    for wrong in ("redis+sentinel://10.0.0.1:26379", "redis://h:6379/0"):
        with pytest.raises(ValueError):
            redis_url.sentinel_address(wrong)


def test_the_cache_and_the_announcements_follow_a_failover(replicated):
    url, master, replica, processes = replicated
    cache = PlatformRedisCache([url], {"KEY_PREFIX": "failover"})
    cache.set("before", "kept", 300)
    assert cache.hit("counted", 300) == 1  # a counter: a script the new master has not seen yet
    assert redis.Redis(port=master).wait(1, 2000) == 1  # on the replica too
    assert int(redis_url.client(url).connection_pool.get_master_address()[1]) == master

    processes["master"].kill()
    until(lambda: redis.Redis(port=replica).info("replication")["role"] == "master", 30)

    # The command in flight when the master died may fail (a 503); the next ones reach the new master.
    until(lambda: cache.set("after", "written", 300) is not False, 15)
    assert cache.get("before") == "kept" and cache.get("after") == "written"
    assert cache.hit("counted", 300) == 2
    assert redis.Redis(port=replica).exists(":1:".join(["failover", "after"])) == 1

    client = redis_url.client(url)
    subscriber = client.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe("idp:changes")
    client.publish("idp:changes", "hello")
    message = until(lambda: subscriber.get_message(timeout=1.0), 5)
    assert message["data"] == b"hello"
    subscriber.close()
