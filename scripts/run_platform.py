"""`make run`: the platform (Django's development server), the background-job worker (single
logout, SMS, purges) and the two demo business systems, as one foreground command; stopping it
(Ctrl-C, or TERM) stops all."""

import signal
import subprocess
import sys

PORT = sys.argv[1] if len(sys.argv) > 1 else "8000"
PYTHON = sys.executable


def main() -> int:
    helpers = [subprocess.Popen([PYTHON, "manage.py", "qcluster"]),
               subprocess.Popen([PYTHON, "-m", "demos.oidc_demo"]),
               subprocess.Popen([PYTHON, "-m", "demos.cas_demo"])]
    server = subprocess.Popen([PYTHON, "manage.py", "runserver", "--insecure", "--noreload", f"127.0.0.1:{PORT}"])
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait()
    finally:
        for process in helpers:
            process.terminate()
        for process in helpers:
            process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
