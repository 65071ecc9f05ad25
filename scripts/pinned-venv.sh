# Sourced by scripts that need the pinned Python packages of scripts/requirements.txt.
# pinned_venv DIR: makes DIR a virtual environment holding exactly those pins (installed with
# --no-deps, so the list is complete), rebuilt whenever the pins or the Python change.
pinned_venv() {
  local venv="$1" requirements
  requirements="$(dirname "${BASH_SOURCE[0]}")/requirements.txt"
  local stamp
  stamp="$(cat "$requirements" <(python3 --version) | sha256sum | cut -d' ' -f1)"
  if [[ -x "$venv/bin/python" && "$(cat "$venv/.requirements-stamp" 2>/dev/null)" == "$stamp" ]]; then
    return 0
  fi
  echo "creating the Python environment $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
  "$venv/bin/pip" check --disable-pip-version-check
  echo "$stamp" >"$venv/.requirements-stamp"
}
