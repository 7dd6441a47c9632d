#!/usr/bin/env bash
# Make sure a command is on this machine: install its Debian package when running as root with
# apt-get, else say in one line what to run. Usage: scripts/need.sh COMMAND PACKAGE [why]
set -euo pipefail
cmd=$1 pkg=$2 why=${3:-}
command -v "$cmd" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing $pkg with apt-get${why:+ ($why)}" >&2
  # a fresh machine has no package lists yet; update only when the package is unknown
  log=$(mktemp)
  if ! { apt-cache show "$pkg" >/dev/null 2>&1 || apt-get update -qq; } >"$log" 2>&1 ||
     ! DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq "$pkg" >>"$log" 2>&1; then
    tail -20 "$log" >&2; rm -f "$log"; echo "setup: apt-get install $pkg failed" >&2; exit 2
  fi
  rm -f "$log"
  command -v "$cmd" >/dev/null 2>&1 && exit 0
  echo "setup: installed $pkg but \`$cmd\` is still not on PATH" >&2; exit 2
fi
echo "setup: \`$cmd\` is needed${why:+ ($why)}: run \`sudo apt-get install -y $pkg\` (or your system's equivalent), then re-run" >&2
exit 2
