#!/usr/bin/env bash
# Checks of `keyshare sim` from outside Rust (docs/conformance.md):
#   1. selftest:  the checkers below catch deliberately broken exchanges;
#   2. sdk:       the official Okta Python SDK runs a scripted session against `keyshare sim`;
#   3. openapi:   every recorded exchange the OpenAPI subset describes validates against it;
#   4. reference: every recorded exchange follows docs/okta-api.md (and the ones the subset does
#                 not describe, such as 401, /oauth2/v1/token and /__sim/, are checked there).
#   5. shapes:    `keyshare sim`'s answers against recorded real Okta answers
#                 (shared/real-okta/org.json; skipped with a notice when it is absent): every
#                 difference must be listed in docs/simulator.md.
#   6. saml-metadata: `keyshare metadata` output for a staged key loads in pysaml2, an
#                 independent SAML library, with both signing certificates.
# Each group prints `GROUP: N passed, M failed`; the script exits non-zero if any check fails.
#
# Usage: bash scripts/python-checks.sh [TRAFFIC_DIR]
#   TRAFFIC_DIR (or $KEYSHARE_SIM_TRAFFIC_DIR): exchanges recorded by an earlier
#   `KEYSHARE_SIM_TRAFFIC_DIR=DIR cargo test`. Without one, this script runs `cargo test`
#   with recording on itself. The SDK session's own traffic is always recorded and checked.
# Environment: KEYSHARE_BIN (a built keyshare; default: cargo build), KEYSHARE_OKTA_SPEC (the
# OpenAPI subset; default: shared/okta-api/apps-keys.openapi.yaml in a parent directory),
# KEYSHARE_REAL_OKTA_ORG (the recorded org; default: shared/real-okta/org.json in a parent).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/target/python-checks"
mkdir -p "$work"

# The nearest shared/$1 above the repository, if any.
find_shared() {
  local dir="$root"
  while [[ "$dir" != "/" ]]; do
    if [[ -f "$dir/shared/$1" ]]; then
      echo "$dir/shared/$1"
      return 0
    fi
    dir="$(dirname "$dir")"
  done
  return 1
}
find_spec() {
  find_shared okta-api/apps-keys.openapi.yaml && return 0
  echo "python-checks: no shared/okta-api/apps-keys.openapi.yaml above $root; set KEYSHARE_OKTA_SPEC" >&2
  return 1
}
spec="${KEYSHARE_OKTA_SPEC:-$(find_spec)}"

# A virtual environment of our own with the pinned packages.
source "$root/scripts/pinned-venv.sh"
venv="$work/venv"
pinned_venv "$venv"
python=("$venv/bin/python")
export PYTHONPATH="$root/scripts" PYTHONDONTWRITEBYTECODE=1

if [[ -z "${KEYSHARE_BIN:-}" ]]; then
  (cd "$root" && cargo build --quiet --bin keyshare)
  KEYSHARE_BIN="$root/target/debug/keyshare"
fi

status=0
traffic="${1:-${KEYSHARE_SIM_TRAFFIC_DIR:-}}"
if [[ -z "$traffic" ]]; then
  traffic="$work/traffic-tests"
  rm -rf "$traffic"
  echo "python-checks: cargo test, recording simulator traffic in $traffic"
  # A failing test must not hide the traffic of all the others: check it anyway, fail after.
  if ! (cd "$root" && KEYSHARE_SIM_TRAFFIC_DIR="$traffic" cargo test --quiet --no-fail-fast \
    >"$work/cargo-test.log" 2>&1); then
    grep -E "^test .* FAILED$|^error: " "$work/cargo-test.log" || tail -n 20 "$work/cargo-test.log"
    echo "python-checks: cargo test failed (log: $work/cargo-test.log)" >&2
    status=1
  fi
fi
if ! compgen -G "$traffic/*.jsonl" >/dev/null; then
  echo "python-checks: no recorded traffic (*.jsonl) in $traffic" >&2
  exit 1
fi

sdk_traffic="$work/traffic-sdk"
rm -rf "$sdk_traffic"
KEYSHARE_SIM_TRAFFIC_DIR="$sdk_traffic" "${python[@]}" -m keyshare_checks.sdk_session \
  --binary "$KEYSHARE_BIN" || status=1
"${python[@]}" -m keyshare_checks.selftest --spec "$spec" "$traffic" "$sdk_traffic" || status=1
"${python[@]}" -m keyshare_checks.check_traffic --spec "$spec" "$traffic" "$sdk_traffic" || status=1
org_json="${KEYSHARE_REAL_OKTA_ORG:-$(find_shared real-okta/org.json || true)}"
if [[ -n "$org_json" ]]; then
  "${python[@]}" -m keyshare_checks.real_shapes --binary "$KEYSHARE_BIN" --org "$org_json" \
    --doc "$root/docs/simulator.md" || status=1
else
  echo "shapes: skipped, no shared/real-okta/org.json above $root (recorded real Okta answers)"
fi
"${python[@]}" -m keyshare_checks.saml_metadata --binary "$KEYSHARE_BIN" || status=1
exit "$status"
