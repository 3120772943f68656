#!/usr/bin/env bash
# Time every image step cold, warm and as a no-op; figures go in docs/images.md.
#
#   bench/image_builds.sh            all steps (rebuilds the base image: ~1 min more)
#   BENCH_BASE=0 bench/image_builds.sh   keep the existing base image
#
# Cold image builds use --no-cache. "Wheel changed" rebuilds the extgate wheel with a
# different SOURCE_DATE_EPOCH (a day later: zip times have 2 s resolution): new bytes,
# same sources, exactly what a source edit costs.
set -euo pipefail

case "${1:-}" in
  -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export VENV="${VENV:-.venv}"
RESULTS=()

timed() {
  local label="$1" start end
  shift
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  RESULTS+=("$(awk -v l="$label" -v s="$start" -v e="$end" 'BEGIN { printf "%-44s %7.1f s", l, e - s }')")
  echo "${RESULTS[-1]}"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
if [[ "${BENCH_BASE:-1}" == 1 ]]; then
  timed "base image, cold (debootstrap + import)" env FORCE=1 scripts/build-base-image.sh
  docker rmi -f extgate/python-base:3.11-bookworm >/dev/null
  timed "base image, re-import of cached rootfs" scripts/build-base-image.sh
fi
timed "base image, no-op" scripts/build-base-image.sh
export BASE_IMAGE=extgate/python-base:3.11-bookworm

timed "wheelhouse, all wheels (pip cache warm)" env FORCE=1 scripts/build-wheelhouse.sh
timed "wheelhouse, no-op" scripts/build-wheelhouse.sh

for name in runner functions; do
  timed "image $name, cold (--no-cache)" env FORCE=1 NO_CACHE=1 scripts/build-image.sh "$name"
done
rm -f build/wheelhouse/.project-stamp
timed "wheelhouse, extgate wheel changed" env SOURCE_DATE_EPOCH=315619200 scripts/build-wheelhouse.sh
for name in runner functions; do
  timed "image $name, after extgate wheel changed" scripts/build-image.sh "$name"
done
for name in runner functions; do
  timed "image $name, no-op" scripts/build-image.sh "$name"
done
timed "make images, no-op" make --no-print-directory images

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
docker images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^extgate/'
du -sh build/wheelhouse build/base-image/rootfs.tar
