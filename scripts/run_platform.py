"""`make run`: the platform (Django's development server), the background-job worker (single
logout, SMS, purges) and the two demo business systems, as one foreground command.

Stopping it stops everything it started, however it is stopped: Ctrl-C, TERM or HUP to this
process, or `make` itself killed. Each child runs in its own process group, which is stopped as a
whole (the job worker's own worker processes included), and is told to stop if this process dies
without stopping it (Linux's parent-death signal)."""

import ctypes
import os
import signal
import subprocess
import sys

PORT = sys.argv[1] if len(sys.argv) > 1 else "8000"
PYTHON = sys.executable
STOP_SECONDS = 15
PR_SET_PDEATHSIG = 1


def _stop_when_parent_dies() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: Ctrl-C and TERM still stop everything
        pass


def _start(*args) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, *args], start_new_session=True, preexec_fn=_stop_when_parent_dies)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever of its group is left
        except ProcessLookupError:
            pass


def _leave(signum, frame):
    raise SystemExit(128 + signum)


def main() -> int:
    _stop_when_parent_dies()
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _leave)
    processes = [_start("manage.py", "qcluster"), _start("-m", "demos.oidc_demo"), _start("-m", "demos.cas_demo")]
    server = _start("manage.py", "runserver", "--insecure", "--noreload", f"127.0.0.1:{PORT}")
    processes.append(server)
    try:
        return server.wait()
    finally:
        _stop(processes)


if __name__ == "__main__":
    sys.exit(main())
