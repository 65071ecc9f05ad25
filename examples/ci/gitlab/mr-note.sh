#!/usr/bin/env bash
# Keeps keyshare's merge-request notes in place: notes starting with <!-- keyshare:plan --> are
# updated with the parts scripts/plan.sh wrote under $1 (comment-1.md, comment-2.md…), missing
# ones created, left-over ones deleted. No parts (keyshare never ran) changes nothing. Needs
# curl, jq and GITLAB_TOKEN (api scope).
set -euo pipefail
out=${1:?usage: mr-note.sh OUT_DIR}
marker='<!-- keyshare:plan -->'
api="$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
auth=(--header "PRIVATE-TOKEN: $GITLAB_TOKEN")

if ! compgen -G "$out/comment-*.md" >/dev/null; then
  exit 0
fi
mapfile -t ours < <(curl -fsS "${auth[@]}" "$api?per_page=100&sort=asc" |
  jq -r --arg m "$marker" '.[] | select(.body | startswith($m)) | .id')
mapfile -t parts < <(ls "$out"/comment-*.md | sort -V)

for i in "${!parts[@]}"; do
  body=$(jq -Rs '{body: .}' <"${parts[$i]}")
  if [[ $i -lt ${#ours[@]} ]]; then
    curl -fsS "${auth[@]}" -X PUT -H 'Content-Type: application/json' \
      --data "$body" "$api/${ours[$i]}" >/dev/null
  else
    curl -fsS "${auth[@]}" -X POST -H 'Content-Type: application/json' \
      --data "$body" "$api" >/dev/null
  fi
done
for id in "${ours[@]:${#parts[@]}}"; do
  curl -fsS "${auth[@]}" -X DELETE "$api/$id" >/dev/null
done
