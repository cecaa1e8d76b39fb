"""Replicated stores of the test's own, on free ports (never the machine's own PostgreSQL on 5432 or
Redis on 6379). PostgreSQL: a primary and a streaming standby made with Debian's pg_createcluster
and pg_basebackup, replicating synchronously (a commit the platform was told of is on the standby
too — the operator's choice docs/deploy.md recommends), with the controls of a failover: kill the
primary, promote the standby; dropped, data and configuration, when the test ends. Redis: a master,
a replica and three Sentinels."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg

from tests.interop.servers import free_port

HBA = """local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""
SETTINGS = """listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
full_page_writes = off
"""


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()[-500:]}")
    return done.stdout


class Cluster:
    def __init__(self, version: str, name: str):
        self.version, self.name, self.port = version, name, free_port()
        self.config = Path("/etc/postgresql") / version / name
        self.data = Path("/var/lib/postgresql") / version / name

    def create(self) -> None:
        _run("pg_createcluster", "--port", str(self.port), self.version, self.name)
        (self.config / "pg_hba.conf").write_text(HBA)
        (self.config / "conf.d" / "replication.conf").write_text(SETTINGS)

    def ctl(self, action: str, *options: str) -> None:
        _run("pg_ctlcluster", "--skip-systemctl-redirect", *options, self.version, self.name, action)

    def drop(self) -> None:
        subprocess.run(["pg_dropcluster", "--stop", self.version, self.name], capture_output=True, timeout=120)
        for leftover in (self.config, self.data):  # what a half-made cluster leaves
            shutil.rmtree(leftover, ignore_errors=True)


class ReplicatedPostgres:
    def __init__(self, tag: str):
        if not shutil.which("pg_createcluster"):
            raise RuntimeError("pg_createcluster is missing (Debian's postgresql-common)")
        version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
        self.primary = Cluster(version, f"fo{tag}p")
        self.standby = Cluster(version, f"fo{tag}s")
        self.database = "idp"
        try:
            self.primary.create()
            self.primary.ctl("start")
            _run("psql", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres", "-qc",
                 f"CREATE DATABASE {self.database}")
            self.standby.create()
            shutil.rmtree(self.standby.data)  # refilled from the primary, owned by postgres (run as root here)
            self.standby.data.mkdir(mode=0o700)
            shutil.chown(self.standby.data, "postgres", "postgres")
            _run("runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port),
                 "-U", "postgres", "-D", str(self.standby.data), "-R", "-X", "stream", "-c", "fast")
            self.standby.ctl("start")
            # Synchronous from now on (a commit waits for the standby): set on the primary only, so
            # the standby, once promoted, does not wait for a standby of its own.
            _run("psql", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres", "-qc",
                 "ALTER SYSTEM SET synchronous_standby_names = '*'", "-c", "SELECT pg_reload_conf()")
            self.wait_streaming()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        """IDP_DATABASE_URL: both hosts; libpq connects to whichever is the primary."""
        return (f"postgresql://postgres@127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}/{self.database}"
                "?target_session_attrs=read-write&connect_timeout=2")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1,127.0.0.1", port=f"{self.primary.port},{self.standby.port}",
                               dbname=self.database, user="postgres", target_session_attrs="read-write",
                               connect_timeout=2, autocommit=True)

    def wait_streaming(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with psycopg.connect(host="127.0.0.1", port=self.primary.port, user="postgres", dbname="postgres",
                                 autocommit=True) as db:
                if db.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone()[0]:
                    return
            time.sleep(0.2)
        raise AssertionError("the standby does not stream from the primary")

    def fail_over(self) -> float:
        """The primary dies (stopped at once, like a crash); the standby is promoted. Returns the
        seconds until the new primary accepts writes."""
        started = time.monotonic()
        self.primary.ctl("stop", "--mode", "immediate")
        self.standby.ctl("promote")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.standby.port, user="postgres", dbname=self.database,
                                     autocommit=True, connect_timeout=2) as db:
                    if not db.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        return time.monotonic() - started
            except psycopg.OperationalError:
                pass
            time.sleep(0.1)
        raise AssertionError("the standby was not promoted")

    def asynchronous(self) -> None:
        """Commits stop waiting for the standby — what Patroni's synchronous mode does when the
        standby is lost, so that the primary goes on taking writes."""
        _run("psql", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres", "-qc",
             "ALTER SYSTEM RESET synchronous_standby_names", "-c", "SELECT pg_reload_conf()")

    def close(self) -> None:
        for cluster in (self.standby, self.primary):
            cluster.drop()


def tag() -> str:
    return str(os.getpid())


class SentinelRedis:
    """A Redis master, its replica and three Sentinels of the test's own, on free ports (never the
    machine's Redis); `url` is the platform's IDP_REDIS_URL for them; `kill_master` a crash that the
    Sentinels answer by promoting the replica."""

    MASTER = "idpmaster"

    def __init__(self, tmp: Path):
        import redis

        self.master, self.replica = free_port(), free_port()
        self.sentinels = [free_port() for _ in range(3)]
        # --dir: a replica's full sync writes an RDB file, which belongs in the test's directory, not the cwd
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(tmp)]
        self.processes = {
            "master": subprocess.Popen(["redis-server", "--port", str(self.master), *common],
                                       stdout=subprocess.DEVNULL),
            "replica": subprocess.Popen(["redis-server", "--port", str(self.replica), "--replicaof", "127.0.0.1",
                                         str(self.master), *common], stdout=subprocess.DEVNULL)}
        for n, port in enumerate(self.sentinels):
            conf = tmp / f"sentinel{n}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp}\n"
                            f"sentinel monitor {self.MASTER} 127.0.0.1 {self.master} 2\n"
                            f"sentinel down-after-milliseconds {self.MASTER} 1000\n"
                            f"sentinel failover-timeout {self.MASTER} 5000\n")
            self.processes[f"sentinel{n}"] = subprocess.Popen(["redis-server", str(conf), "--sentinel"],
                                                              stdout=subprocess.DEVNULL)
        try:
            until(lambda: redis.Redis(port=self.replica).info("replication")["master_link_status"] == "up", 15)
            until(lambda: all(redis.Redis(port=p).sentinel_slaves(self.MASTER) for p in self.sentinels), 15)
        except BaseException:
            self.close()
            raise
        self.url = "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in self.sentinels) + f"/{self.MASTER}/0"

    def kill_master(self) -> float:
        """kill -9 the master; returns the seconds until the replica is the master."""
        import redis

        started = time.monotonic()
        self.processes["master"].kill()
        until(lambda: redis.Redis(port=self.replica).info("replication")["role"] == "master", 30)
        return time.monotonic() - started

    def close(self) -> None:
        for process in self.processes.values():
            process.kill()
            process.wait(5)


def until(check, seconds: float):
    """The first true answer of `check` within `seconds` (an error counts as not yet)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s")
