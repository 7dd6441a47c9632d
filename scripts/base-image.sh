#!/usr/bin/env bash
# Build dsfix's offline base image from a Debian root filesystem (no registry needed).
# The rootfs tarball is cached, so only the first run pays for debootstrap (~100 s).
set -euo pipefail
IMAGE=${DSFIX_BASE_IMAGE:-dsfix/base:bookworm}
CACHE=${DSFIX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dsfix}
TARBALL="$CACHE/rootfs/bookworm-minbase.tar"
PKGS=python3,python3-venv,python3-pip,python3-pytest,git,ca-certificates,procps
log() { echo "base-image: $*" >&2; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then log "$IMAGE present"; exit 0; fi
if [ ! -s "$TARBALL" ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"; apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  fi
  ROOT=$(mktemp -d /tmp/dsfix-rootfs.XXXXXX)
  trap 'rm -rf "$ROOT"' EXIT
  log "debootstrap bookworm into $ROOT (first run only)"
  debootstrap --variant=minbase --include="$PKGS" bookworm "$ROOT" >&2
  rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
  mkdir -p "$(dirname "$TARBALL")"
  tar -C "$ROOT" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
fi
log "importing $TARBALL as $IMAGE"
docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV LANG=C.UTF-8' -c 'CMD ["/bin/bash"]' "$TARBALL" "$IMAGE" >&2
log "$IMAGE ready"
