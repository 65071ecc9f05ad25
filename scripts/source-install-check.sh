#!/usr/bin/env bash
# The GitLab recipe's install line (examples/ci/gitlab/.gitlab-ci.yml), run verbatim against a
# clone of this repository at its current commit, as a config repository's job would run it:
#   - `cargo install --locked --git URL --rev COMMIT` resolves the commit (a branch name after
#     --rev fails with "revspec 'main' not found"),
#   - Cargo.lock is complete (--locked) and every file the build needs is committed,
#   - the installed binary runs, and a second run takes the cached binary without building.
# Set CARGO_TARGET_DIR to a release target directory that already holds the dependencies
# (.ci/run passes the image build's) and only keyshare itself compiles.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/target/source-install"
rm -rf "$work"
mkdir -p "$work/project"

git clone --quiet --bare "$root" "$work/keyshare.git"
rev="$(git -C "$root" rev-parse HEAD)"
line="$(sed -n 's/^ *- \(.*cargo install .*\)$/\1/p' "$root/examples/ci/gitlab/.gitlab-ci.yml")"
if [[ -z "$line" || "$line" == *$'\n'* ]]; then
  echo "source-install: expected one cargo install line in the GitLab recipe" >&2
  exit 1
fi

run_install() {
  (cd "$work/project" &&
    KEYSHARE_GIT="file://$work/keyshare.git" KEYSHARE_REV="$rev" \
      bash -euo pipefail -c "$line" >"$work/install-$1.log" 2>&1) || {
    tail -n 30 "$work/install-$1.log" >&2
    echo "source-install: the recipe's install failed (log: $work/install-$1.log)" >&2
    exit 1
  }
}

start=$SECONDS
run_install 1
"$work/project/.keyshare-bin/bin/keyshare" --version
run_install 2
if grep -q "Compiling\|Installing" "$work/install-2.log"; then
  echo "source-install: the second run built again instead of taking the cached binary" >&2
  exit 1
fi
echo "source-install: ok (commit ${rev:0:12}, $((SECONDS - start)) s)"
