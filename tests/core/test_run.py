"""`make run` stops everything it started (issue 25: stopping it left the job worker's four
processes running)."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.interop.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> set[int]:
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.parametrize("how", ["term", "parent killed"])
def test_stopping_make_run_stops_every_process_it_started(tmp_path, how):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IDP_", "DJANGO_"))}
    port = free_port()
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", IDP_DATABASE_URL=f"sqlite:///{tmp_path}/run.sqlite3",
               IDP_DEMO_OIDC_URL=f"http://127.0.0.1:{free_port()}", IDP_DEMO_CAS_URL=f"http://127.0.0.1:{free_port()}",
               IDP_QUEUE_WORKERS="2")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    # `parent killed`: a shell stands for `make`, and is killed outright.
    command = [sys.executable, "scripts/run_platform.py", str(port)]
    if how == "parent killed":
        command = ["sh", "-c", " ".join(command) + "; true"]
    parent = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        time.sleep(2)  # the job worker's processes are up
        started = _descendants(parent.pid)
        assert len(started) >= 5, started  # the server, the job cluster and its workers, the demos
        if how == "term":
            script = next(pid for pid in started if b"run_platform" in Path(f"/proc/{pid}/cmdline").read_bytes()) \
                if parent.args[0] == "sh" else parent.pid
            os.kill(script, signal.SIGTERM)
        else:
            os.kill(parent.pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _alive(started) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not _alive(started), [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in _alive(started)]
    finally:
        os.killpg(parent.pid, signal.SIGKILL) if parent.poll() is None else None
