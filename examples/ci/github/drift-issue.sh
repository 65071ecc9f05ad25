#!/usr/bin/env bash
# Keeps one open GitHub issue (label $KEYSHARE_DRIFT_LABEL, default keyshare-drift) in step
# with the last drift check, whose results scripts/drift.sh wrote under $1:
#   drift found, no open issue  -> open one with the report,
#   drift found, issue open     -> replace its body with the new report,
#   in sync, issue open         -> close it with a comment,
#   in sync, no open issue      -> nothing.
# Needs the GitHub CLI (`gh`) with GH_TOKEN allowed to write issues.
set -euo pipefail
out=${1:?usage: drift-issue.sh OUT_DIR}
label=${KEYSHARE_DRIFT_LABEL:-keyshare-drift}

# An issue body has the same size limit as a comment: keep the first part of a split report.
awk '$0 == "<!-- keyshare:split -->" { exit } { print }' "$out/drift.md" >"$out/issue.md"

number=$(gh issue list --label "$label" --state open --json number --jq '.[0].number // empty')
if [[ $(cat "$out/drift") == true ]]; then
  if [[ -n $number ]]; then
    gh issue edit "$number" --body-file "$out/issue.md"
  else
    gh label create "$label" --color D93F0B --description "keyshare found drift" --force
    gh issue create --title "keyshare: Okta has drifted from the configuration" \
      --label "$label" --body-file "$out/issue.md"
  fi
elif [[ -n $number ]]; then
  gh issue close "$number" --comment "keyshare drift is clean again: Okta matches the configuration."
fi
