#!/usr/bin/env bash
# Make a Docker engine reachable, installing and starting one if needed.
# Prints `export DOCKER_HOST=...` on stdout so callers can `eval "$(scripts/docker-up.sh)"`.
# Rootless-friendly flags: no iptables/bridge, so it also works in sandboxes
# without netfilter; dsfix runs test containers with network_mode=none anyway.
set -euo pipefail
log() { echo "docker-up: $*" >&2; }

if docker info >/dev/null 2>&1; then
  log "engine reachable (${DOCKER_HOST:-default socket})"; echo "export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}"; exit 0
fi
DIR=${DSFIX_DOCKER_DIR:-/tmp/dsfix-docker}
SOCK="unix://$DIR/docker.sock"
if DOCKER_HOST=$SOCK docker info >/dev/null 2>&1; then
  log "engine reachable at $SOCK"; echo "export DOCKER_HOST=$SOCK"; exit 0
fi
"$(dirname "$0")/need.sh" dockerd docker.io "a Docker engine for the test containers"
mkdir -p "$DIR/data" "$DIR/exec"
log "starting dockerd (data under $DIR)"
nohup dockerd --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
  --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/docker.pid" \
  -H "$SOCK" >"$DIR/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if DOCKER_HOST=$SOCK docker info >/dev/null 2>&1; then echo "export DOCKER_HOST=$SOCK"; exit 0; fi
  sleep 1
done
log "dockerd did not come up; see $DIR/dockerd.log"; tail -20 "$DIR/dockerd.log" >&2; exit 1
