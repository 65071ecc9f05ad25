#!/usr/bin/env bash
# Pull-request preview: plan the desired state in $1 and write, under $2,
#   plan.json      the saved plan (for the record; apply-on-merge plans again),
#   comment.md     the whole Markdown comment,
#   comment-N.md   one file per GitHub/GitLab comment when it is longer than one comment holds,
#   changes        "true" or "false".
# Exit 0 whether or not there are changes; 1 when keyshare fails: its error is on stderr, and
# comment.md and comment-1.md say "plan failed: …" so that the comment step replaces the last
# plan's comment rather than leave a stale plan (or "no changes") on the pull request.
# Also sets the step output `changes` when run by GitHub Actions.
set -euo pipefail
dir=${1:?usage: plan.sh CONFIG_DIR OUT_DIR}
out=${2:?usage: plan.sh CONFIG_DIR OUT_DIR}
mkdir -p "$out"

rm -f "$out"/comment-*.md "$out/changes"
status=0
keyshare plan "$dir" --format markdown --out "$out/plan.json" >"$out/comment.md" \
  2>"$out/error.txt" || status=$?
cat "$out/error.txt" >&2
case $status in
  0) changes=false ;;
  2) changes=true ;;
  *)
    # HTML-escaped inside <pre>: the error quotes file contents and Okta's answers.
    escaped=$(sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' "$out/error.txt")
    first=$(grep -m1 -v '^[[:space:]]*$' <<<"$escaped" || true)
    first=${first#error: }
    run=${CI_JOB_URL:-}
    if [[ -n ${GITHUB_RUN_ID:-} ]]; then
      run="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
    fi
    {
      echo '<!-- keyshare:plan -->'
      echo '## ❌ keyshare plan failed'
      echo
      echo "plan failed: ${first:-keyshare exited with status $status}"
      echo
      if [[ -n $run ]]; then echo "The previous plan no longer applies. [CI run]($run)"; echo; fi
      echo '<details><summary>Error</summary>'
      echo
      echo '<pre>'
      echo "$escaped"
      echo '</pre>'
      echo
      echo '</details>'
    } >"$out/comment.md"
    cp "$out/comment.md" "$out/comment-1.md"
    exit 1
    ;;
esac

awk -v out="$out" 'BEGIN { n = 1 }
  $0 == "<!-- keyshare:split -->" { n++; next }
  { print > (out "/comment-" n ".md") }' "$out/comment.md"

echo "$changes" >"$out/changes"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  echo "changes=$changes" >>"$GITHUB_OUTPUT"
fi
