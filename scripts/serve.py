"""`make serve`: the production server, as one foreground command for a process supervisor
(docs/operators.md).

1. Reads the environment file (IDP_ENV_FILE, else `.env` when present; `.env.example` lists
   every variable); variables already in the environment win.
2. Collects the static files (hashed and compressed; WhiteNoise serves them) and applies the
   database migrations (core/management/commands/migrate.py: one node at a time).
3. Runs granian on config.wsgi:application — IDP_WORKERS processes (default: one per core) ×
   IDP_THREADS threads (default 4) on IDP_HOST:PORT (default 127.0.0.1:8000, behind the
   proxy) — and the background-job cluster (`manage.py qcluster`) beside it.

TERM or INT stops both gracefully: granian stops accepting and lets the requests in flight
finish; the cluster lets its jobs finish. Each runs in its own process group and is told by
serve alone (a cluster whose processes are all signalled at once does not stop). If either
exits on its own, the other is stopped and serve exits non-zero, so the supervisor restarts the
whole node. Every process counts its
metrics into PROMETHEUS_MULTIPROC_DIR (default var/metrics-<port>, emptied at start), so
GET /metrics adds them up.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
STOP_SECONDS = 30  # how long in-flight requests and running jobs may take to finish


def read_env_file(path: Path) -> dict:
    """KEY=VALUE lines; blank lines and # comments skipped; one pair of surrounding quotes removed."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def environment() -> dict:
    env = dict(os.environ)
    env_file = Path(env.get("IDP_ENV_FILE") or ROOT / ".env")
    if env_file.is_file():
        env = {**read_env_file(env_file), **env}
    elif "IDP_ENV_FILE" in env:
        sys.exit(f"serve: IDP_ENV_FILE={env_file} does not exist")
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    metrics = Path(env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(ROOT / "var" / f"metrics-{env.get('PORT', '8000')}")))
    shutil.rmtree(metrics, ignore_errors=True)  # counts of processes that are gone
    metrics.mkdir(parents=True)
    return env


def main() -> int:
    env = environment()
    # The algorithms' known answers first: a node whose crypto is wrong does not start.
    for step in (["crypto_selftest", "-v0"], ["collectstatic", "--noinput", "-v0"], ["migrate", "--noinput", "-v0"]):
        subprocess.run([PYTHON, "manage.py", *step], cwd=ROOT, env=env, check=True)
    granian = str(Path(PYTHON).with_name("granian"))
    server = subprocess.Popen(
        [granian, "--interface", "wsgi", "--no-ws", "--log-level", "warning",
         "--host", env.get("IDP_HOST", "127.0.0.1"), "--port", env.get("PORT", "8000"),
         "--workers", env.get("IDP_WORKERS") or str(os.cpu_count() or 1),
         "--blocking-threads", env.get("IDP_THREADS", "4"),
         "--respawn-failed-workers", "--workers-kill-timeout", str(STOP_SECONDS),
         "config.wsgi:application"],
        cwd=ROOT, env=env, start_new_session=True)
    cluster = subprocess.Popen([PYTHON, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True)
    children = [server, cluster]

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exited = None
    while not stopping and exited is None:
        time.sleep(0.2)
        exited = next((child for child in children if child.poll() is not None), None)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)  # to the parent only: each stops its own processes
    deadline = time.monotonic() + STOP_SECONDS + 5
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if exited is None:
        return 0
    print(f"serve: {' '.join(exited.args[:3])} exited with {exited.returncode}; node stopped", file=sys.stderr)
    return exited.returncode or 1

if __name__ == "__main__":
    sys.exit(main())
