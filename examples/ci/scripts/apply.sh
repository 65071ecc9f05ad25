#!/usr/bin/env bash
# Apply on merge: plan the desired state in $1, save the plan, and apply exactly that plan.
# Writes, under $2,
#   plan.txt   the plan as text,
#   plan.json  the saved plan,
#   apply.md   the Markdown report of what was applied (for the job summary).
# Exit 0 when Okta matches the configuration afterwards; 1 on any error.
set -euo pipefail
dir=${1:?usage: apply.sh CONFIG_DIR OUT_DIR}
out=${2:?usage: apply.sh CONFIG_DIR OUT_DIR}
mkdir -p "$out"

status=0
keyshare plan "$dir" --out "$out/plan.json" >"$out/plan.txt" || status=$?
case $status in
  0 | 2) ;;
  *) exit 1 ;;
esac
cat "$out/plan.txt"

# Applying the saved plan, not the directory, guarantees that what runs is what was printed:
# keyshare refuses it if any app changed in between.
keyshare apply "$out/plan.json" --auto-approve --format markdown >"$out/apply.md"
