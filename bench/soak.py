"""make bench-soak: does a worker's memory stay flat under load? (issue: no unbounded cache)

One granian worker (as in bench/sso.py) is driven for BENCH_SOAK_SECONDS (default 600) by wrk
with a mix of client_credentials, introspection of 50,000 different access tokens (more than
the per-process cache of verified signatures holds) and userinfo; the worker's resident memory
is printed every 30 s. The caches fill during the first minutes (the verified-signature cache
holds at most 20,000 tokens); the growth over the second half is the figure to read: it should
be about zero.
"""

import os
import subprocess
import threading
import time

import sso

SECONDS = int(os.environ.get("BENCH_SOAK_SECONDS", "600"))

MIX = r"""
local n = 0
function request()
  n = n + 1
  if n % 3 == 0 then
    return wrk.format("POST", "/oidc/token", {["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = "Basic " .. BASIC}, "grant_type=client_credentials")
  elseif n % 3 == 1 then
    return wrk.format("POST", "/oidc/introspect", {["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = "Basic " .. BASIC}, "token=" .. next_item())
  end
  return wrk.format("GET", "/oidc/userinfo", {["Authorization"] = "Bearer " .. next_item()})
end
"""


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    sso.need("wrk")
    sso.fresh_database()
    sso.setup_django()
    data = sso.fixtures()
    from django.conf import settings

    settings.IDP_ACCESS_TOKEN_SECONDS = SECONDS + 300  # minted here, for the whole run (the server reads `exp`)
    pool = sso.pool_file(sso.access_tokens(data["accounts"], 50000))
    server = sso.start_server()
    worker = int(subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()[0])
    script = sso.lua(200, "", f'BASIC = "{data["basic"]}"\n' + MIX)
    samples = []

    def sample():
        started = time.monotonic()
        while server.poll() is None and time.monotonic() - started < SECONDS + 5:
            samples.append((time.monotonic() - started, rss_mib(worker)))
            print(f"  {samples[-1][0]:5.0f} s  worker RSS {samples[-1][1]:7.1f} MiB", flush=True)
            time.sleep(30)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        saved, sso.SECONDS = sso.SECONDS, SECONDS
        result = sso.run_wrk("soak", "/oidc/token", script, [pool, "wrap"])
        sso.SECONDS = saved
        samples.append((SECONDS, rss_mib(worker)))
    finally:
        server.terminate()
        server.wait(timeout=10)
        os.unlink(pool)
    half = next(rss for t, rss in samples if t >= SECONDS / 2)
    print(f"\n{result['rps']:.0f} requests/s for {SECONDS} s ({result['failures'] + result['non2xx']} failed); "
          f"worker RSS {samples[0][1]:.1f} MiB at start, {half:.1f} MiB at half-time, {samples[-1][1]:.1f} MiB "
          f"at the end: {samples[-1][1] - half:+.1f} MiB over the second half")


if __name__ == "__main__":
    main()
