"""The end-to-end benchmark of docs/performance.md, driven by scripts/bench-e2e.sh.

For each synthetic org it starts `keyshare sim` with the org's seed and a shrunk rate-limit
window, runs each client under /usr/bin/time -v, reads the simulator's /__sim/stats before and
after, and prints one table row per run: calls per bucket, 429s, wall time, the floor those
calls allow, wall/floor and peak RSS.

The floor is what the simulator's limits allow a client holding the default 50% share of each
bucket: per bucket, calls ÷ (limit × share) windows; buckets refill independently, so the run's
floor is the largest of the two. Call counts are deterministic; times depend on the machine.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "00sim-token"
LIMITS = {"apps": 100, "appById": 500}  # the simulator's defaults: Okta Workforce
SHARE = 0.5  # Okta's default per-token share, and keyshare's --max-api-capacity 50


class Sim:
    """`keyshare sim` on a free loopback port, stopped on exit."""

    def __init__(self, keyshare: str, seed: str, window_ms: int):
        self.process = subprocess.Popen(
            [keyshare, "sim", "--addr", "127.0.0.1:0", "--seed", seed,
             "--rate-window-ms", str(window_ms)],
            stdout=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.process.kill()
            sys.exit(f"bench: keyshare sim did not start: {line!r}")
        self.url = match.group(1)

    def stats(self) -> dict:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url + "/__sim/stats") as response:
            return json.load(response)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait()


def timed(command: list[str], log: str) -> tuple[float, int, int]:
    """Runs `command` under /usr/bin/time -v: (wall seconds, peak RSS KiB, exit code)."""
    with open(log, "w") as out:
        started = time.monotonic()
        result = subprocess.run(["/usr/bin/time", "-v", *command], stdout=out, stderr=subprocess.STDOUT)
        wall = time.monotonic() - started
    with open(log) as f:
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
    return wall, int(rss.group(1)) if rss else 0, result.returncode


def row(name: str, sim: Sim, command: list[str], log: str, window_s: float, ok: set[int]) -> dict:
    before = sim.stats()
    wall, rss, code = timed(command, log)
    after = sim.stats()
    calls = {b: after["byBucket"].get(b, 0) - before["byBucket"].get(b, 0) for b in LIMITS}
    limited = (after["rateLimited"] - before["rateLimited"]) + (
        after["concurrencyLimited"] - before["concurrencyLimited"])
    floor = max(calls[b] / (LIMITS[b] * SHARE) for b in LIMITS) * window_s
    if code not in ok:
        print(f"bench: {name} exited {code}; see {log}", file=sys.stderr)
    return {"run": name, "apps": calls["apps"], "appById": calls["appById"], "429": limited,
            "wall": wall, "floor": floor, "ratio": wall / floor if floor else float("nan"),
            "rss_mib": rss / 1024, "exit": code}


def make_org(work: str, apps: int, drift: float) -> str:
    out = os.path.join(work, f"org-{apps}-drift{int(drift * 100)}")
    if not os.path.exists(os.path.join(out, "seed.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "make_org.py"), "--apps", str(apps),
                        "--drift", str(drift), "--out", out], check=True)
    return out


def keyshare_runs(args, work: str, apps: int, baselines: bool) -> list[dict]:
    window_s = args.window_ms / 1000
    rows = []
    org = make_org(work, apps, 0.0)
    cache = os.path.join(work, f"cache-{apps}")
    shutil.rmtree(cache, ignore_errors=True)
    logs = os.path.join(work, "logs")
    with Sim(args.keyshare, os.path.join(org, "seed.json"), args.window_ms) as sim:
        drift = [args.keyshare, "drift", os.path.join(org, "desired"), "--org-url", sim.url,
                 "--token", TOKEN, "--key-cache", cache, "-v"]
        rows.append(row(f"keyshare drift, cold cache ({apps} apps)", sim, drift,
                        f"{logs}/drift-cold-{apps}.log", window_s, {0}))
        rows.append(row(f"keyshare drift, warm cache ({apps} apps)", sim, drift,
                        f"{logs}/drift-warm-{apps}.log", window_s, {0}))
        if baselines:
            env_python = [args.python, "-u"]
            rows.append(row(f"Python SDK drift ({apps} apps)", sim,
                            [*env_python, os.path.join(HERE, "sdk_drift.py"), sim.url, TOKEN,
                             os.path.join(org, "desired")],
                            f"{logs}/sdk-{apps}.log", window_s, {0}))
            rows.append(row(f"Terraform refresh pattern ({apps} apps)", sim,
                            [*env_python, os.path.join(HERE, "terraform_refresh.py"), sim.url,
                             TOKEN, os.path.join(org, "desired")],
                            f"{logs}/terraform-{apps}.log", window_s, {0}))
    return rows


def apply_runs(args, work: str, apps: int) -> list[dict]:
    window_s = args.window_ms / 1000
    org = make_org(work, apps, args.drift)
    cache = os.path.join(work, f"cache-{apps}-drifted")
    shutil.rmtree(cache, ignore_errors=True)
    logs = os.path.join(work, "logs")
    with Sim(args.keyshare, os.path.join(org, "seed.json"), args.window_ms) as sim:
        common = [os.path.join(org, "desired"), "--org-url", sim.url, "--token", TOKEN,
                  "--key-cache", cache, "-v"]
        drift = row(f"keyshare drift, {args.drift:.0%} drifted, cold ({apps} apps)", sim,
                    [args.keyshare, "drift", *common], f"{logs}/drifted-{apps}.log", window_s, {2})
        apply = row(f"keyshare apply, {args.drift:.0%} drifted, warm ({apps} apps)", sim,
                    [args.keyshare, "apply", "--auto-approve", *common],
                    f"{logs}/apply-{apps}.log", window_s, {0})
    return [drift, apply]


def print_table(rows: list[dict], window_ms: int) -> None:
    print(f"\nrate-limit window {window_ms} ms; limits /api/v1/apps {LIMITS['apps']}, "
          f"/api/v1/apps/{{id}} {LIMITS['appById']} per window; floor at a {SHARE:.0%} share\n")
    print("| run | /api/v1/apps calls | /api/v1/apps/{id} calls | 429s | wall s | floor s | wall/floor | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        failed = "" if r["exit"] in (0, 2) else f" (exit {r['exit']})"
        print(f"| {r['run']}{failed} | {r['apps']} | {r['appById']} | {r['429']} | {r['wall']:.1f} | "
              f"{r['floor']:.1f} | {r['ratio']:.2f} | {r['rss_mib']:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description="keyshare end-to-end benchmark")
    parser.add_argument("--keyshare", required=True)
    parser.add_argument("--python", required=True, help="a Python with okta==3.4.4")
    parser.add_argument("--work", required=True)
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--baseline-apps", type=int, default=2_000)
    parser.add_argument("--drift", type=float, default=0.1)
    parser.add_argument("--window-ms", type=int, default=10_000)
    args = parser.parse_args()
    os.makedirs(os.path.join(args.work, "logs"), exist_ok=True)
    rows = keyshare_runs(args, args.work, args.baseline_apps, baselines=True)
    if args.apps != args.baseline_apps:
        rows += keyshare_runs(args, args.work, args.apps, baselines=False)
    rows += apply_runs(args, args.work, args.apps)
    print_table(rows, args.window_ms)


if __name__ == "__main__":
    main()
