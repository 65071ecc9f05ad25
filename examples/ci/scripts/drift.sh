#!/usr/bin/env bash
# Scheduled drift check of the desired state in $1; writes, under $2,
#   drift.md   the Markdown report (the body of the drift issue),
#   drift      "true" when Okta differs from the configuration or a key is due for rotation,
#              "false" when it is in sync.
# Exit 0 in both cases; 1 when keyshare fails (its error is on stderr).
# Also sets the step output `drift` when run by GitHub Actions.
set -euo pipefail
dir=${1:?usage: drift.sh CONFIG_DIR OUT_DIR}
out=${2:?usage: drift.sh CONFIG_DIR OUT_DIR}
mkdir -p "$out"

status=0
keyshare drift "$dir" --format markdown >"$out/drift.md" || status=$?
case $status in
  0) drift=false ;;
  2) drift=true ;;
  *) exit 1 ;;
esac

echo "$drift" >"$out/drift"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  echo "drift=$drift" >>"$GITHUB_OUTPUT"
fi
