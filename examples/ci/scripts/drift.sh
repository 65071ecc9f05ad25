#!/usr/bin/env bash
# Scheduled drift check of the desired state in $1; writes, under $2,
#   drift.md   the Markdown report (the body of the drift issue),
#   drift      "true" when Okta differs from the configuration or a key is due for rotation,
#              "false" when it is in sync.
# Exit 0 in both cases; 1 when keyshare fails: its error is on stderr and drift.md says
# "drift check failed: …" for the job summary (no `drift` file is written, so the issue is
# left as it was).
# Also sets the step output `drift` when run by GitHub Actions.
set -euo pipefail
dir=${1:?usage: drift.sh CONFIG_DIR OUT_DIR}
out=${2:?usage: drift.sh CONFIG_DIR OUT_DIR}
mkdir -p "$out"

rm -f "$out/drift"
status=0
keyshare drift "$dir" --format markdown >"$out/drift.md" 2>"$out/error.txt" || status=$?
cat "$out/error.txt" >&2
case $status in
  0) drift=false ;;
  2) drift=true ;;
  *)
    escaped=$(sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' "$out/error.txt")
    first=$(grep -m1 -v '^[[:space:]]*$' <<<"$escaped" || true)
    first=${first#error: }
    printf '<!-- keyshare:drift -->\n## ❌ keyshare drift check failed\n\ndrift check failed: %s\n\n<pre>\n%s\n</pre>\n' \
      "${first:-keyshare exited with status $status}" "$escaped" >"$out/drift.md"
    exit 1
    ;;
esac

echo "$drift" >"$out/drift"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  echo "drift=$drift" >>"$GITHUB_OUTPUT"
fi
