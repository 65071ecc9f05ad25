#!/usr/bin/env bash
# Keeps one open GitLab issue (label $KEYSHARE_DRIFT_LABEL, default keyshare-drift) in step
# with the last drift check, whose results scripts/drift.sh wrote under $1: opened when drift
# is found, its description replaced on later runs, closed once in sync. Needs curl, jq and
# GITLAB_TOKEN (api scope).
set -euo pipefail
out=${1:?usage: drift-issue.sh OUT_DIR}
label=${KEYSHARE_DRIFT_LABEL:-keyshare-drift}
api="$CI_API_V4_URL/projects/$CI_PROJECT_ID/issues"
auth=(--header "PRIVATE-TOKEN: $GITLAB_TOKEN")

# An issue description has a size limit too: keep the first part of a split report.
description=$(awk '$0 == "<!-- keyshare:split -->" { exit } { print }' "$out/drift.md")
iid=$(curl -fsS "${auth[@]}" "$api?state=opened&labels=$label" | jq -r '.[0].iid // empty')

if [[ $(cat "$out/drift") == true ]]; then
  body=$(jq -n --arg d "$description" --arg l "$label" \
    '{title: "keyshare: Okta has drifted from the configuration", description: $d, labels: $l}')
  if [[ -n $iid ]]; then
    curl -fsS "${auth[@]}" -X PUT -H 'Content-Type: application/json' --data "$body" "$api/$iid" >/dev/null
  else
    curl -fsS "${auth[@]}" -X POST -H 'Content-Type: application/json' --data "$body" "$api" >/dev/null
  fi
elif [[ -n $iid ]]; then
  curl -fsS "${auth[@]}" -X PUT "$api/$iid?state_event=close" >/dev/null
fi
