#!/usr/bin/env bash
# The end-to-end benchmark of docs/performance.md: keyshare's drift check and apply against
# `keyshare sim`, beside two baselines (the official Okta Python SDK done the straightforward
# way, and the Terraform provider's per-app refresh pattern), with one table of calls per
# rate-limit bucket, 429s, wall time, the floor the limits allow, wall/floor and peak RSS.
#
# Usage: bash scripts/bench-e2e.sh
# Environment (all optional):
#   APPS=10000           apps in the org of keyshare's runs (groups of 5, all referenced by id)
#   BASELINE_APPS=2000   apps in the org where keyshare and both baselines run side by side
#   DRIFT=0.1            share of members drifted in the org that is applied
#   WINDOW_MS=10000      the simulator's rate-limit window (Okta's is 60000), so that the whole
#                        run takes about 40 minutes. Rate-limit headers have one-second
#                        resolution, so the shorter the window, the larger the share of it a
#                        client loses to rounding (the Python SDK's waits especially).
# Needs: a Rust toolchain, python3 (3.10+) with venv, /usr/bin/time (apt-get install time).
# Work files and logs go to target/bench-e2e/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/target/bench-e2e"
mkdir -p "$work"

if [[ ! -x /usr/bin/time ]]; then
  echo "bench-e2e: /usr/bin/time is missing (apt-get install time); it measures peak RSS" >&2
  exit 1
fi

# A virtual environment with the pinned Okta SDK.
source "$root/scripts/pinned-venv.sh"
venv="$root/target/bench-venv"
pinned_venv "$venv"

(cd "$root" && cargo build --release --quiet --bin keyshare)

# Fresh orgs and caches every run, so that "cold" means cold.
rm -rf "$work"/org-* "$work"/cache-* "$work"/logs
exec python3 "$root/scripts/bench/run.py" \
  --keyshare "$root/target/release/keyshare" \
  --python "$venv/bin/python" \
  --work "$work" \
  --apps "${APPS:-10000}" \
  --baseline-apps "${BASELINE_APPS:-2000}" \
  --drift "${DRIFT:-0.1}" \
  --window-ms "${WINDOW_MS:-10000}"
