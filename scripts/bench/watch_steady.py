"""Steady-state cost and heal latency of `keyshare watch` on a synthetic org in sync
(docs/performance.md "The controller in steady state").

Usage: python3 watch_steady.py --keyshare target/debug/keyshare [--apps 10000] [--checks 10]

For each mode, against a fresh `keyshare sim` of the org (make_org.py, groups of 5 sharing one
key; limits lifted, since calls are counted, not waited for):
  - informer: `watch --resync 1h` (full read at start, then the System Log);
  - full re-read: `watch --resync 0s` (every check reads the org, the behaviour before the
    informer; the key cache is on in both);
it waits for the first check, counts the calls of the next --checks checks per bucket from
`/__sim/stats`, then switches one member to a key of its own out of band and times until
`--self-heal` has switched it back. Every wait is bounded.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TOKEN = "00sim-token"
INTERVAL_S = 2
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(method: str, url: str, body=None) -> dict:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"SSWS {TOKEN}")
    request.add_header("Content-Type", "application/json")
    with OPENER.open(request, timeout=60) as response:
        return json.load(response)


class Watch:
    """`keyshare watch` with JSON logs; counts its `reconciled` lines."""

    def __init__(self, keyshare: str, org: str, desired: str, cache: str, resync: str):
        env = dict(os.environ, OKTA_CLIENT_ORGURL=org, OKTA_CLIENT_TOKEN=TOKEN,
                   KEYSHARE_KEY_CACHE=cache, RUST_LOG="keyshare=info")
        self.process = subprocess.Popen(
            [keyshare, "watch", desired, "--interval", f"{INTERVAL_S}s", "--resync", resync,
             "--self-heal", "--log-format", "json", "--listen", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.checks = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stderr:
            if '"message":"reconciled"' in line:
                with self.lock:
                    self.checks += 1

    def wait_checks(self, count: int, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            with self.lock:
                if self.checks >= count:
                    return
            time.sleep(0.05)
        sys.exit(f"watch_steady: not {count} checks within {within_s} s")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(keyshare: str, org_dir: str, resync: str, checks: int) -> dict:
    sim = subprocess.Popen(
        [keyshare, "sim", "--addr", "127.0.0.1:0", "--token", TOKEN,
         "--seed", os.path.join(org_dir, "seed.json"),
         "--rate-limit-apps", "1000000", "--rate-limit-app-by-id", "1000000",
         "--rate-limit-logs", "1000000"],
        stdout=subprocess.PIPE, text=True)
    url = re.search(r"listening on (http://\S+)", sim.stdout.readline()).group(1)
    cache = tempfile.mkdtemp()
    watch = Watch(keyshare, url, os.path.join(org_dir, "desired"), cache, resync)
    try:
        watch.wait_checks(1, 1800)
        before = call("GET", url + "/__sim/stats")
        first = watch.checks
        watch.wait_checks(first + checks, 60 + checks * INTERVAL_S * 30)
        after = call("GET", url + "/__sim/stats")
        counted = watch.checks - first
        per_check = {bucket: (after["byBucket"].get(bucket, 0) - before["byBucket"].get(bucket, 0)) / counted
                     for bucket in ("apps", "appById", "logs")}

        member = "0oabench000000000001"  # the first group's first member
        shared = call("GET", f"{url}/api/v1/apps/{member}")["credentials"]["signing"]["kid"]
        new = call("POST", f"{url}/api/v1/apps/{member}/credentials/keys/generate?validityYears=2")
        app = call("GET", f"{url}/api/v1/apps/{member}")
        app["credentials"]["signing"]["kid"] = new["kid"]
        call("PUT", f"{url}/api/v1/apps/{member}", app)
        switched = time.monotonic()
        while call("GET", f"{url}/api/v1/apps/{member}")["credentials"]["signing"]["kid"] != shared:
            if time.monotonic() - switched > 300:
                sys.exit("watch_steady: the switch was not healed within 300 s")
            time.sleep(0.1)
        heal_s = time.monotonic() - switched
    finally:
        watch.stop()
        sim.terminate()
        sim.wait()
    return {"per_check": per_check, "checks": counted, "heal_s": heal_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keyshare", required=True)
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=10)
    args = parser.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    org_dir = tempfile.mkdtemp()
    subprocess.run([sys.executable, os.path.join(here, "make_org.py"), "--apps", str(args.apps),
                    "--out", org_dir], check=True)
    for mode, resync in (("informer", "1h"), ("full re-read", "0s")):
        result = measure(args.keyshare, org_dir, resync, args.checks)
        print(f"{mode}: {result['checks']} checks at {INTERVAL_S} s; calls per check "
              + ", ".join(f"{b} {n:.2f}" for b, n in result["per_check"].items())
              + f"; out-of-band switch healed in {result['heal_s']:.1f} s"
              + f" ({result['heal_s'] / INTERVAL_S:.1f} intervals)")


if __name__ == "__main__":
    main()
