#!/usr/bin/env bash
# Build extgate/python-base:3.11-bookworm: a local stand-in for python:3.11-slim-bookworm
# on machines that reach a Debian mirror but no container registry.
#
# Debian bookworm minbase (debootstrap) + python3 (3.11) + python3-venv + ca-certificates,
# `python` -> python3, apt lists/docs/locales stripped, imported with `docker import`.
# The rootfs tarball is cached under build/base-image/ so a re-import takes seconds.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/build-base-image.sh [--help]

Builds the local Debian base image for extgate's container images.

environment:
  IMAGE=extgate/python-base:3.11-bookworm   tag to produce
  FORCE=1                                   rebuild the rootfs and re-import even if present
  MIRROR=http://deb.debian.org/debian       Debian mirror (default: read from apt sources)
  BUILD_DIR=build/base-image                where the rootfs tarball is cached

Skips quickly when the image already exists (unless FORCE=1).
EOF
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac

IMAGE="${IMAGE:-extgate/python-base:3.11-bookworm}"
FORCE="${FORCE:-0}"
SUITE=bookworm
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$REPO_ROOT/build/base-image}"
TARBALL="$BUILD_DIR/rootfs.tar"
RECIPE_FILE="$BUILD_DIR/rootfs.recipe"
PACKAGES="python3,python3-venv,ca-certificates"
START=$SECONDS

step() { printf '==> [base-image %3ss] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf 'base-image: error: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || die "docker CLI not found"
docker info >/dev/null 2>&1 || die "Docker daemon not reachable (is dockerd running?)"

if [[ "$FORCE" != 1 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  step "skip: $IMAGE already exists (FORCE=1 to rebuild)"
  exit 0
fi

# First URI of the main Debian archive from the host's apt sources (deb822 or one-line).
detect_mirror() {
  local uri=""
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    uri="$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i !~ /security/) {print $i; exit}}' \
      /etc/apt/sources.list.d/debian.sources)"
  fi
  if [[ -z "$uri" && -f /etc/apt/sources.list ]]; then
    uri="$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' \
      /etc/apt/sources.list)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

build_rootfs() {
  local mirror rootfs security
  mirror="${MIRROR:-$(detect_mirror)}"
  security="${mirror%/debian}/debian-security"
  rootfs="$BUILD_DIR/rootfs"
  [[ "$(id -u)" == 0 ]] || die "building the rootfs needs root (debootstrap, chroot): sudo $0"

  if ! command -v debootstrap >/dev/null; then
    step "installing debootstrap (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi

  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  step "debootstrap --variant=minbase $SUITE from $mirror (+ $PACKAGES); takes a few minutes"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" \
    >"$BUILD_DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$BUILD_DIR/debootstrap.log" >&2; die "debootstrap failed (log: $BUILD_DIR/debootstrap.log)"; }

  step "applying $SUITE-updates and $SUITE-security"
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb $security $SUITE-security main
EOF
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
  chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade' \
    >>"$BUILD_DIR/debootstrap.log" 2>&1 \
    || step "warning: update/upgrade inside the rootfs failed; keeping the $SUITE release packages"

  step "python -> python3, dpkg excludes for docs/locales, stripping caches"
  ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
  # Like the slim images: future apt installs inside the image skip docs and locales too.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/extgate-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
  chroot "$rootfs" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/* \
    "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias \
    -exec rm -rf {} +
  find "$rootfs/usr/lib/python3"* -name __pycache__ -type d -prune -exec rm -rf {} +
  : >"$rootfs/etc/machine-id"

  step "checking the rootfs: $(chroot "$rootfs" python --version 2>&1)"
  chroot "$rootfs" python -c 'import venv, ensurepip, ssl' \
    || die "python in the rootfs lacks venv/ensurepip/ssl"

  step "packing rootfs ($(du -sh "$rootfs" | cut -f1)) into $TARBALL"
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  echo "$RECIPE" >"$RECIPE_FILE"
  rm -rf "$rootfs"
}

# The cached tarball is reused only if this exact rootfs recipe produced it.
RECIPE="$( (declare -f build_rootfs; echo "$SUITE $PACKAGES") | sha256sum | cut -c1-16)"
mkdir -p "$BUILD_DIR"
if [[ "$FORCE" != 1 && -f "$TARBALL" && "$(cat "$RECIPE_FILE" 2>/dev/null)" == "$RECIPE" ]]; then
  step "reusing cached rootfs $TARBALL"
else
  build_rootfs
fi

step "docker import -> $IMAGE"
docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV LANG=C.UTF-8' \
  -c 'ENV PYTHONUNBUFFERED=1' \
  -c "LABEL org.extgate.base.recipe=$RECIPE org.extgate.base.suite=$SUITE" \
  -c 'CMD ["python3"]' \
  -m "extgate local base: Debian $SUITE minbase + python3 (debootstrap)" \
  "$TARBALL" "$IMAGE" >/dev/null

step "done: $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}'))"
