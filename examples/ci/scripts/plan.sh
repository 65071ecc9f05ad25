#!/usr/bin/env bash
# Pull-request preview: plan the desired state in $1 and write, under $2,
#   plan.json      the saved plan (for the record; apply-on-merge plans again),
#   comment.md     the whole Markdown comment,
#   comment-N.md   one file per GitHub/GitLab comment when it is longer than one comment holds,
#   changes        "true" or "false".
# Exit 0 whether or not there are changes; 1 when keyshare fails (its error is on stderr).
# Also sets the step output `changes` when run by GitHub Actions.
set -euo pipefail
dir=${1:?usage: plan.sh CONFIG_DIR OUT_DIR}
out=${2:?usage: plan.sh CONFIG_DIR OUT_DIR}
mkdir -p "$out"

status=0
keyshare plan "$dir" --format markdown --out "$out/plan.json" >"$out/comment.md" || status=$?
case $status in
  0) changes=false ;;
  2) changes=true ;;
  *) exit 1 ;;
esac

rm -f "$out"/comment-*.md
awk -v out="$out" 'BEGIN { n = 1 }
  $0 == "<!-- keyshare:split -->" { n++; next }
  { print > (out "/comment-" n ".md") }' "$out/comment.md"

echo "$changes" >"$out/changes"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  echo "changes=$changes" >>"$GITHUB_OUTPUT"
fi
