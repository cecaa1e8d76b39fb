"""Redis Sentinel (issue 32, item 3; core/redis_url.py): with IDP_REDIS_URL=redis+sentinel://…, the
platform's Redis clients follow a failover without a restart. A master, a replica and three Sentinels
of this test's own, on free ports (never the machine's Redis): the master is killed (-9), the
Sentinels promote the replica, and the cache and the change announcements carry on against it."""

import shutil
import socket
import subprocess
import time

import pytest
import redis

from idp.core import redis_url
from idp.core.cache import PlatformRedisCache

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
MASTER = "idpmaster"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except redis.RedisError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")


@pytest.fixture
def replicated(tmp_path):
    """(sentinel URL, master port, replica port, the processes)."""
    master, replica = free_port(), free_port()
    sentinels = [free_port() for _ in range(3)]
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
    processes = {"master": subprocess.Popen(["redis-server", "--port", str(master), *common],
                                            stdout=subprocess.DEVNULL),
                 "replica": subprocess.Popen(["redis-server", "--port", str(replica), "--replicaof", "127.0.0.1",
                                              str(master), *common], stdout=subprocess.DEVNULL)}
    for n, port in enumerate(sentinels):
        conf = tmp_path / f"sentinel{n}.conf"
        conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
                        f"sentinel monitor {MASTER} 127.0.0.1 {master} 2\n"
                        f"sentinel down-after-milliseconds {MASTER} 1000\n"
                        f"sentinel failover-timeout {MASTER} 5000\n")
        processes[f"sentinel{n}"] = subprocess.Popen(["redis-server", str(conf), "--sentinel"],
                                                     stdout=subprocess.DEVNULL)
    try:
        _until(lambda: redis.Redis(port=replica).info("replication")["master_link_status"] == "up", 15)
        _until(lambda: all(redis.Redis(port=p).sentinel_slaves(MASTER) for p in sentinels), 15)
        url = "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in sentinels) + f"/{MASTER}/0"
        yield url, master, replica, processes
    finally:
        for process in processes.values():
            process.kill()
            process.wait(5)


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
    assert redis.Redis(port=master).wait(1, 2000) == 1  # on the replica too
    assert int(redis_url.client(url).connection_pool.get_master_address()[1]) == master

    processes["master"].kill()
    promoted = _until(lambda: int(redis.Redis(port=replica).info("replication")["role"] == "master"), 30)
    assert promoted

    # The command in flight when the master died may fail (a 503); the next ones reach the new master.
    _until(lambda: cache.set("after", "written", 300) is not False, 15)
    assert cache.get("before") == "kept" and cache.get("after") == "written"
    assert redis.Redis(port=replica).exists(":1:".join(["failover", "after"])) == 1

    client = redis_url.client(url)
    subscriber = client.pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe("idp:changes")
    client.publish("idp:changes", "hello")
    message = _until(lambda: subscriber.get_message(timeout=1.0), 5)
    assert message["data"] == b"hello"
    subscriber.close()
