"""Validates every recorded simulator exchange: `python -m keyshare_checks.check_traffic
--spec apps-keys.openapi.yaml DIR...`. Prints one line per failure, a coverage table of the
spec's operations, and `openapi: N passed, M failed` and `reference: N passed, M failed`.
Exits non-zero on any failure, or when the traffic misses an operation keyshare relies on
(a recording that silently lost exchanges must not pass)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from . import openapi_check, reference_check, traffic
from .report import Group

# The operations keyshare uses (docs/okta-api.md §1): each must have been exercised and validated.
REQUIRED_OPERATIONS = (
    "listApplications",
    "getApplication",
    "replaceApplication",
    "listApplicationKeys",
    "getApplicationKey",
    "generateApplicationKey",
    "cloneApplicationKey",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("dirs", type=Path, nargs="+")
    args = parser.parse_args()

    exchanges = [e for d in args.dirs for e in traffic.load(d)]
    spec = openapi_check.SpecCheck(args.spec)
    openapi, reference = Group("openapi"), Group("reference")
    coverage: Counter[tuple[str, int]] = Counter()
    dropped = 0
    for exchange in exchanges:
        if reference_check.kind(exchange) == "dropped":
            dropped += 1
            continue
        operation = spec.operation(exchange)
        if spec.describes(exchange):
            openapi.record(exchange.describe(), spec.check(exchange))
            coverage[(operation.operation_id, exchange.status)] += 1
        operation_id = operation.operation_id if operation else None
        problems = reference_check.check(exchange, operation_id, spec.app_route(exchange))
        reference.record(exchange.describe(), problems)

    print(f"{len(exchanges)} exchanges recorded in {', '.join(map(str, args.dirs))}")
    if dropped:
        print(f"{dropped} cut by a drop fault (never seen by a client), not checked")
    print("validated against the spec, by operation and status:")
    for (operation_id, status), count in sorted(coverage.items()):
        print(f"  {operation_id:28} {status}  x{count}")
    missing = [
        op for op in REQUIRED_OPERATIONS if not any(o == op and s < 300 for (o, s) in coverage)
    ]
    for group in (openapi, reference):
        group.print_failures()
    if missing:
        print(f"FAIL no successful exchange recorded for: {', '.join(missing)}")
        openapi.record("coverage of keyshare's operations", [f"missing {m}" for m in missing])
    for group in (openapi, reference):
        print(group.summary())
    return 1 if openapi.failed or reference.failed else 0


if __name__ == "__main__":
    sys.exit(main())
