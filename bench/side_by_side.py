"""make bench, part 2: the platform beside node's oidc-provider, measured by one harness in one run.

The anchor is oidc-provider 9.13.3 (bench/anchor/server.js, its default in-memory store, RS256,
client_secret_basic). Each server in turn gets core 0 with everything it needs — node alone; the
platform's granian worker (1 worker × IDP_BENCH_THREADS threads) *and* its PostgreSQL and Redis —
while wrk runs on core 1 (bench/oidc_load.sh: wrk -t1 -c8, BENCH_SECONDS per endpoint, a 2 s
warm-up, BENCH_PASSES passes). Endpoints: discovery, JWKS, client_credentials, introspection and
refresh (ours rotates each token and writes it durably; node's anchor neither rotates nor persists).

Prints each endpoint's requests/s for both and the ratio platform / node, with the calibration
(PBKDF2-SHA256 100k on core 0) measured before each server's runs: compare only within a pass.
Then the floor under client_credentials (bench/floor_app.py): granian with no framework, returning
a fixed token, and the same plus one ES256 signature per request — the part of the platform's
cost that no code above the server and the signed token format can remove.
"""

import base64
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sso  # bench/sso.py: the platform's database, fixtures and server

HERE = Path(__file__).resolve().parent
ANCHOR = HERE / "anchor"
NODE_PORT = int(os.environ.get("IDP_BENCH_NODE_PORT", "3000"))
NODE = f"http://127.0.0.1:{NODE_PORT}"
NODE_CLIENT = ("bench-client", "bench-secret-0123456789abcdef")
PASSES = int(os.environ.get("BENCH_PASSES", "2"))
ENDPOINTS = ["discovery", "jwks", "token_cc", "introspect", "refresh"]
NAMES = {"discovery": "discovery", "jwks": "JWKS", "token_cc": "client_credentials",
         "introspect": "introspection", "refresh": "refresh"}


def pids(name: str) -> list[str]:
    return subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()


def set_affinity(name: str, cpus: str) -> None:
    for pid in pids(name):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, pid], capture_output=True)


def node_anchor() -> subprocess.Popen:
    sso.need("node")
    if not (ANCHOR / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ANCHOR, check=True)
    server = subprocess.Popen(["taskset", "-c", "0", "node", "server.js"], cwd=ANCHOR,
                              env={**os.environ, "PORT": str(NODE_PORT)}, stdout=subprocess.DEVNULL)
    return sso.answering(server, NODE, "oidc-provider")


def harness(label: str, url: str, client: tuple[str, str], out: Path, *extra: str, endpoints=ENDPOINTS) -> None:
    seconds = os.environ.get("BENCH_SECONDS", "10")
    subprocess.run(["bash", str(HERE / "oidc_load.sh"), "-d", seconds, "-c", "8", "-e", ",".join(endpoints),
                    "-L", label, "-o", str(out), *extra, url, *client], check=True, stdout=subprocess.DEVNULL)


def measure_node(out: Path) -> None:
    server = node_anchor()
    try:
        minter = f"{sys.executable} {ANCHOR / 'mint_refresh.py'} {NODE}"
        harness("node oidc-provider", NODE, NODE_CLIENT, out, "-M", minter)
    finally:
        server.terminate()
        server.wait(timeout=10)


def measure_platform(out: Path, secret: str, accounts) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as tokens:
        tokens.write("\n".join(sso.refresh_tokens(accounts, 64)) + "\n")
    server = sso.start_server()
    pinned = [str(server.pid), *pids("postgres")[:1], *pids("redis-server")[:1]]
    try:
        harness("platform", sso.BASE, ("bench", secret), out, "-p", ",".join(pinned), "-R", tokens.name)
    finally:
        server.terminate()
        server.wait(timeout=10)
        set_affinity("postgres", "0-1")
        set_affinity("redis-server", "0-1")
        os.unlink(tokens.name)


FLOOR_PORT = int(os.environ.get("IDP_BENCH_FLOOR_PORT", "8098"))
FLOOR = f"http://127.0.0.1:{FLOOR_PORT}"
FLOORS = {"0": "granian alone", "1": "granian + ES256 signature"}


def measure_floors(out: Path) -> None:
    """bench/floor_app.py served like the platform: what granian and one signature cost."""
    granian = str(Path(sys.executable).with_name("granian"))
    for sign, label in FLOORS.items():
        server = subprocess.Popen(["taskset", "-c", "0", granian, "--interface", "wsgi", "--workers", "1",
                                   "--blocking-threads", os.environ.get("IDP_BENCH_THREADS", "4"),
                                   "--host", "127.0.0.1", "--port", str(FLOOR_PORT), "--no-ws",
                                   "--log-level", "warning", "floor_app:application"],
                                  cwd=HERE, env={**os.environ, "FLOOR_SIGN": sign, "FLOOR_BASE": FLOOR},
                                  stdout=subprocess.DEVNULL)
        sso.answering(server, FLOOR, label)
        try:
            harness(label, FLOOR, ("bench", "x"), out, endpoints=["token_cc"])
        finally:
            server.terminate()
            server.wait(timeout=10)


def rows(path: Path) -> dict[tuple[str, str], dict]:
    with open(path, newline="") as f:
        return {(row["label"], row["endpoint"]): row for row in csv.DictReader(f, delimiter="\t")}


def number(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def report(passes: list[dict]) -> None:
    print(f"\nSide by side, one core each (server and its database on core 0, wrk -t1 -c8 on core 1, "
          f"{os.environ.get('BENCH_SECONDS', '10')} s per endpoint)")
    for n, measured in enumerate(passes):
        calib = {label: row["calib_ms"] for (label, _), row in measured.items()}
        print(f"\npass {chr(65 + n)} — calibration PBKDF2 100k: node {calib.get('node oidc-provider', '?')} ms, "
              f"platform {calib.get('platform', '?')} ms")
        print(f"{'endpoint':22} {'node req/s':>11} {'platform req/s':>15} {'platform/node':>14}  errors")
        for endpoint in ENDPOINTS:
            node = measured.get(("node oidc-provider", endpoint), {})
            ours = measured.get(("platform", endpoint), {})
            a, b = number(node.get("rps")), number(ours.get("rps"))
            ratio = f"{b / a:14.2f}" if a and b else f"{'—':>14}"
            errors = f"{node.get('non2xx_or_err', '?')} / {ours.get('non2xx_or_err', '?')}"
            print(f"{NAMES[endpoint]:22} {a or 0:11.0f} {b or 0:15.0f} {ratio}  {errors}")
        floors = [f"{label} {number(measured.get((label, 'token_cc'), {}).get('rps')) or 0:,.0f}/s"
                  for label in FLOORS.values()]
        print(f"floor under client_credentials (bench/floor_app.py, no framework): {'; '.join(floors)}")


def main() -> None:
    for tool in ("wrk", "taskset", "curl", "npm"):
        sso.need(tool)
    print("preparing the platform's database …", flush=True)
    sso.fresh_database()
    sso.setup_django()
    data = sso.fixtures()
    secret = base64.b64decode(data["basic"]).decode().split(":", 1)[1]
    passes = []
    with tempfile.TemporaryDirectory() as work:
        for n in range(PASSES):
            out = Path(work) / f"pass{n}.tsv"
            print(f"pass {chr(65 + n)}: node oidc-provider …", flush=True)
            measure_node(out)
            print(f"pass {chr(65 + n)}: platform …", flush=True)
            measure_platform(out, secret, data["accounts"])
            print(f"pass {chr(65 + n)}: floors …", flush=True)
            measure_floors(out)
            passes.append(rows(out))
    report(passes)


if __name__ == "__main__":
    main()
