#!/usr/bin/env bash
# Set up dsfix on this machine: a virtualenv with dsfix installed, a reachable Docker engine,
# and the offline base image. Safe to re-run; each step is skipped when already done.
# Usage: source scripts/setup.sh [extras]   (extras: e.g. "dev")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
EXTRAS=${1:-}
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "setup: dsfix needs Python >= 3.10 (set PYTHON=/path/to/python3.x)" >&2; exit 2
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# pip, quietly; on failure its output (less index-location noise) and its exit code.
pipq() {
  local log; log=$(mktemp)
  if ! .venv/bin/python -m pip install -q "$@" >"$log" 2>&1; then
    grep -v "is ignored" "$log" >&2; rm -f "$log"; echo "setup: pip install $* failed" >&2; return 1
  fi
  rm -f "$log"
}
pipq --upgrade pip
pipq -e ".${EXTRAS:+[$EXTRAS]}"
.venv/bin/dsfix --version >&2
eval "$(scripts/docker-up.sh)"
export DOCKER_HOST
# The offline base image is built from a Debian root filesystem (debootstrap) unless cached.
if ! docker image inspect "${DSFIX_BASE_IMAGE:-dsfix/base:bookworm}" >/dev/null 2>&1; then
  scripts/need.sh debootstrap debootstrap "to build dsfix's offline base image"
fi
.venv/bin/dsfix env base >&2
