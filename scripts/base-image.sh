#!/usr/bin/env bash
# Print the base image extgate's images build FROM; make, scripts/build-image.sh and
# scripts/dev-runner.sh all ask this script, so they never disagree.
#
#   $BASE_IMAGE when set; else python:3.11-slim-bookworm if it is present locally; else
#   extgate/python-base:3.11-bookworm (scripts/build-base-image.sh builds it where no
#   registry is reachable).
set -euo pipefail

case "${1:-}" in
  -h | --help) sed -n '2,7s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
  "") ;;
  *) echo "usage: scripts/base-image.sh [--help]" >&2; exit 2 ;;
esac

OFFICIAL_BASE=python:3.11-slim-bookworm
LOCAL_BASE=extgate/python-base:3.11-bookworm

if [[ -n "${BASE_IMAGE:-}" ]]; then
  echo "$BASE_IMAGE"
elif docker image inspect "$OFFICIAL_BASE" >/dev/null 2>&1; then
  echo "$OFFICIAL_BASE"
else
  echo "$LOCAL_BASE"
fi
