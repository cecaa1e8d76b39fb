"""make bench, part 2: the platform beside node's oidc-provider, measured by one harness in one run.

The anchor is oidc-provider 9.13.3 (bench/anchor/server.js, client_secret_basic, from
../shared/bench/anchors) in three forms: in memory with opaque tokens (its fastest, nothing
durable, refresh tokens not rotated); on Redis, rotating every refresh token (as it is deployed);
and issuing ES256-signed JWT access tokens (the platform's token format). Each server in turn gets
core 0 with everything it needs — node and its Redis; the platform's granian worker (1 worker ×
IDP_BENCH_THREADS threads) *and* its PostgreSQL and Redis — while wrk runs on core 1
(bench/oidc_load.sh: wrk -t1 -c8, BENCH_SECONDS per endpoint, a 2 s warm-up, BENCH_PASSES passes).
Endpoints: discovery, JWKS, client_credentials, introspection and refresh (ours rotates each token
and writes it durably).

Prints each endpoint's requests/s for every server and two ratios: against the form of node that
does the same work (the fair anchor: JWT access tokens for client_credentials, Redis for
introspection and the rotating refresh) and against node in memory (the fastest), with the
calibration (PBKDF2-SHA256 100k on core 0) measured before each server's runs: compare only within a pass.
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
NODE_REDIS = os.environ.get("IDP_BENCH_NODE_REDIS_URL", "redis://127.0.0.1:6379/12")  # not the platform's
# label -> the anchor's environment (bench/anchor/server.js)
NODES = {"node in memory": {}, "node on Redis": {"ANCHOR_ADAPTER": "redis", "ANCHOR_REDIS_URL": NODE_REDIS},
         "node, JWT access tokens": {"ANCHOR_AT": "jwt"}}
FASTEST = "node in memory"
# The form of node doing the platform's work on each endpoint.
FAIR = {"discovery": FASTEST, "jwks": FASTEST, "token_cc": "node, JWT access tokens", "introspect": "node on Redis",
        "refresh": "node on Redis"}
PASSES = int(os.environ.get("BENCH_PASSES", "2"))
ENDPOINTS = ["discovery", "jwks", "token_cc", "introspect", "refresh"]
NAMES = {"discovery": "discovery", "jwks": "JWKS", "token_cc": "client_credentials",
         "introspect": "introspection", "refresh": "refresh"}


def pids(name: str) -> list[str]:
    return subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()


def set_affinity(name: str, cpus: str) -> None:
    for pid in pids(name):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, pid], capture_output=True)


def node_anchor(environment: dict) -> subprocess.Popen:
    sso.need("node")
    if not (ANCHOR / "node_modules" / "ioredis").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ANCHOR, check=True)
    if "ANCHOR_REDIS_URL" in environment:
        subprocess.run(["redis-cli", "-u", environment["ANCHOR_REDIS_URL"], "FLUSHDB"], check=True,
                       stdout=subprocess.DEVNULL)
    server = subprocess.Popen(["taskset", "-c", "0", "node", "server.js"], cwd=ANCHOR,
                              env={**os.environ, "PORT": str(NODE_PORT), **environment}, stdout=subprocess.DEVNULL)
    return sso.answering(server, NODE, "oidc-provider")


def harness(label: str, url: str, client: tuple[str, str], out: Path, *extra: str, endpoints=ENDPOINTS) -> None:
    seconds = os.environ.get("BENCH_SECONDS", "10")
    subprocess.run(["bash", str(HERE / "oidc_load.sh"), "-d", seconds, "-c", "8", "-e", ",".join(endpoints),
                    "-L", label, "-o", str(out), *extra, url, *client], check=True, stdout=subprocess.DEVNULL)


def measure_node(out: Path, label: str) -> None:
    environment = NODES[label]
    server = node_anchor(environment)
    pinned = [str(server.pid), *(pids("redis-server")[:1] if environment.get("ANCHOR_ADAPTER") else [])]
    try:
        minter = f"{sys.executable} {ANCHOR / 'mint_refresh.py'} {NODE}"
        harness(label, NODE, NODE_CLIENT, out, "-M", minter, "-p", ",".join(pinned))
    finally:
        server.terminate()
        server.wait(timeout=10)
        set_affinity("redis-server", "0-1")


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
    servers = [*NODES, "platform"]
    for n, measured in enumerate(passes):
        calib = {label: row["calib_ms"] for (label, _), row in measured.items()}
        print(f"\npass {chr(65 + n)} — calibration PBKDF2 100k (ms): "
              + ", ".join(f"{label} {calib.get(label, '?')}" for label in servers))
        print(f"{'endpoint':20} {'node mem':>9} {'node Redis':>11} {'node JWT':>9} {'platform':>9} "
              f"{'fair':>6} {'fastest':>8}  errors (node mem / Redis / JWT / platform)")
        for endpoint in ENDPOINTS:
            rps = {label: number(measured.get((label, endpoint), {}).get("rps")) for label in servers}
            ours = rps["platform"]

            def ratio(anchor, rps=rps, ours=ours):
                return f"{ours / rps[anchor]:.2f}" if ours and rps[anchor] else "—"

            errors = " / ".join(str(measured.get((label, endpoint), {}).get("non2xx_or_err", "?")) for label in servers)
            print(f"{NAMES[endpoint]:20} " + " ".join(f"{rps[label]:{w}.0f}" if rps[label] else f"{'—':>{w}}"
                                                       for label, w in zip(servers, (9, 11, 9, 9), strict=True))
                  + f" {ratio(FAIR[endpoint]):>6} {ratio(FASTEST):>8}  {errors}")
        print("fair: against node doing the same work (JWT access tokens for client_credentials, Redis for "
              "introspection and the rotating refresh); fastest: against node in memory")
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
            for label in NODES:
                print(f"pass {chr(65 + n)}: {label} …", flush=True)
                measure_node(out, label)
            print(f"pass {chr(65 + n)}: platform …", flush=True)
            measure_platform(out, secret, data["accounts"])
            print(f"pass {chr(65 + n)}: floors …", flush=True)
            measure_floors(out)
            passes.append(rows(out))
    report(passes)


if __name__ == "__main__":
    main()
