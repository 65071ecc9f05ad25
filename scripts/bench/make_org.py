"""Writes a synthetic org for the benchmarks: a simulator seed where groups of apps share keys,
and the desired state that declares those groups (docs/performance.md).

Usage: python3 make_org.py --apps 10000 --group-size 5 --drift 0.1 --out DIR
  DIR/seed.json       for `keyshare sim --seed DIR/seed.json`
  DIR/desired/*.yaml  for `keyshare drift DIR/desired` (one file per 1,000 groups)

Every group's source and members share one key (the same kid on several apps is one key in
the simulator). With --drift F, that share of the members (never a source) signs with a key
of its own instead and lacks the group key, so a plan clones and switches it. Ids, labels and
kids are derived from the app's number, so the same arguments always give the same org.
"""

import argparse
import json
import os


def app_id(n: int) -> str:
    return f"0oabench{n:012d}"  # 20 characters starting 0oa, like Okta's


def kid(prefix: str, n: int) -> str:
    return f"{prefix}{n:010d}".ljust(43, "x")  # 43 base64url characters, like Okta's


def build(apps: int, group_size: int, drift: float):
    groups = apps // group_size
    drift_every = round(1 / drift) if drift > 0 else 0
    seed_apps, documents = [], []
    member_number = 0
    for g in range(groups):
        shared = {"kid": kid("benchgroup", g), "created": "-1y", "expiresAt": "+2y"}
        ids = []
        for m in range(group_size):
            n = g * group_size + m
            ids.append(app_id(n))
            app = {"id": app_id(n), "label": f"bench-{n:06d}", "keys": [shared]}
            if m > 0:
                member_number += 1
                if drift_every and member_number % drift_every == 0:
                    app["keys"] = [{"kid": kid("benchown", n), "created": "-1y", "expiresAt": "+2y"}]
            seed_apps.append(app)
        documents.append(
            "apiVersion: keyshare/v1\nkind: SigningKeyGroup\n"
            f"metadata:\n  name: group-{g:06d}\n"
            f"spec:\n  source: {ids[0]}\n  members:\n"
            + "".join(f"    - {i}\n" for i in ids[1:])
            + "  key:\n    validityYears: 2\n"
        )
    return {"org": "bench", "apps": seed_apps}, documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, required=True)
    parser.add_argument("--group-size", type=int, default=5)
    parser.add_argument("--drift", type=float, default=0.0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    seed, documents = build(args.apps, args.group_size, args.drift)
    desired = os.path.join(args.out, "desired")
    os.makedirs(desired, exist_ok=True)
    with open(os.path.join(args.out, "seed.json"), "w") as f:
        json.dump(seed, f)
    for start in range(0, len(documents), 1000):
        with open(os.path.join(desired, f"groups-{start // 1000:03d}.yaml"), "w") as f:
            f.write("---\n".join(documents[start : start + 1000]))


if __name__ == "__main__":
    main()
