"""Read replicas (issue 32, idp/core/replica.py): two production nodes with IDP_DATABASE_REPLICA_URL
on the streaming standby of a replicated PostgreSQL of this test's own. The lag-tolerant pages (here
通知通告) read from the standby while it keeps up; when it falls behind beyond the bound, or goes down,
they read from the primary — and no page fails."""

import time

import psycopg
import pytest
import requests

from idp.core import replica
from tests.multinode.cluster import Platform
from tests.multinode.replication import ReplicatedPostgres, tag

pytestmark = [pytest.mark.postgres,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]  # self-signed proxy

PUBLISH = 'from idp.portal.models import Notice; Notice.objects.create(title="%s", body="正文")'


@pytest.fixture
def replicated():
    database = ReplicatedPostgres(tag())
    yield database
    database.close()


def _standby(database: ReplicatedPostgres, sql: str):
    """The first value `sql` answers on the standby."""
    with psycopg.connect(host="127.0.0.1", port=database.standby.port, user="postgres", dbname=database.database,
                         autocommit=True) as db:
        return db.execute(sql).fetchone()[0]


def _notices(platform: Platform) -> list[str]:
    """The 通知通告 page as each node serves it (both nodes, through the proxy's round-robin)."""
    pages = []
    for _ in range(2):
        answer = requests.get(f"{platform.proxy.url}/notices/", verify=False, timeout=10)
        assert answer.status_code == 200
        pages.append(answer.text)
    return pages


def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def _publish_now(database: ReplicatedPostgres, title: str) -> None:
    """A notice published on the primary in milliseconds (not the seconds a `manage.py shell` takes
    to start), so that the pages are read while the standby's lag is still within the bound."""
    with database.connect() as db:
        db.execute("INSERT INTO portal_notice (title, body, published_at, is_published) "
                   "VALUES (%s, '正文', now(), true)", (title,))


GONE = "SELECT count(*) = 0 FROM portal_notice WHERE title = '第二条通知'"


def _pause_within_bound(database: ReplicatedPostgres, platform: Platform) -> float:
    """Pauses the standby's replay just after it replayed a fresh write, publishes 第二条通知 on the
    primary, and proves the pages (read from the standby) do not show it. The lag is the age of the
    last replayed transaction (idp/core/replica.py), so the proof only holds if the pages were read
    within the bound of it: on a machine too loaded for that, the standby resumes and it is tried
    again. Returns when the last replayed transaction was committed (epoch seconds)."""
    for _ in range(3):
        _publish_now(database, "心跳")  # a fresh transaction for the standby to replay last
        assert _until(lambda: _standby(database, "SELECT count(*) FROM portal_notice WHERE title = '心跳'"), 10)
        _standby(database, "SELECT pg_wal_replay_pause()")
        last_replayed = float(_standby(database, "SELECT EXTRACT(EPOCH FROM pg_last_xact_replay_timestamp())"))
        _publish_now(database, "第二条通知")
        pages = _notices(platform)
        if time.time() - last_replayed < replica.MAX_LAG - 0.5:
            assert not any("第二条通知" in page for page in pages), "read from the primary, not the standby"
            return last_replayed
        _standby(database, "SELECT pg_wal_replay_resume()")  # too slow to prove anything: again
        with database.connect() as db:
            db.execute("DELETE FROM portal_notice WHERE title IN ('心跳', '第二条通知')")
        assert _until(lambda: _standby(database, GONE), 10)
    raise AssertionError("the pages could not be read within the lag bound in three tries")


def test_lag_tolerant_pages_read_the_standby_while_it_keeps_up(replicated, tmp_path):
    platform = Platform(tmp_path, database_url=replicated.url,
                        extra={"IDP_DATABASE_REPLICA_URL": f"postgresql://postgres@127.0.0.1:{replicated.standby.port}/"
                                                           f"{replicated.database}?connect_timeout=2"})
    try:
        platform.manage("shell", "-c", PUBLISH % "第一条通知")
        assert _until(lambda: all("第一条通知" in page for page in _notices(platform)), 10)

        # The standby stops replaying: a notice published now is on the primary only. While the
        # standby's lag is within the bound the page (read from it) does not show it yet; past the
        # bound the nodes read the primary and it appears.
        last_replayed = _pause_within_bound(replicated, platform)
        assert _until(lambda: all("第二条通知" in page for page in _notices(platform)),
                      replica.MAX_LAG + replica.CHECK_EVERY + 10)
        assert time.time() - last_replayed >= replica.MAX_LAG - 0.5  # not before the bound

        # Caught up again: read from the standby again, which now has both.
        _standby(replicated, "SELECT pg_wal_replay_resume()")
        platform.manage("shell", "-c", PUBLISH % "第三条通知")
        assert _until(lambda: all("第三条通知" in page for page in _notices(platform)), 10)

        # The standby goes down (and the primary stops waiting for it): the pages still answer, from
        # the primary.
        replicated.standby.ctl("stop", "--mode", "immediate")
        replicated.asynchronous()
        platform.manage("shell", "-c", PUBLISH % "第四条通知")
        assert _until(lambda: all("第四条通知" in page for page in _notices(platform)), 10)
        for node in platform.nodes:
            assert node.ready() == 200  # a replica is an optimisation: the node is ready without it
    finally:
        platform.close()
