#!/usr/bin/env bash
# Build one of extgate's images (runner | functions) from build/wheelhouse, or skip in
# well under a second when nothing changed.
#
# "Changed" = the inputs hash differs from the org.extgate.inputs label on the existing
# image. Inputs: the Dockerfile, the wheelhouse content hash, the base image's ID.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/build-image.sh runner|functions [--help]

Builds extgate/<name>:dev from <name>/Dockerfile with build/wheelhouse as the only
package source. Run scripts/build-wheelhouse.sh first (make does).

environment:
  BASE_IMAGE=python:3.11-slim-bookworm   base image (default: that one if present
                                         locally, else extgate/python-base:3.11-bookworm)
  IMAGE=extgate/<name>:dev               tag to produce
  FORCE=1                                build even if the inputs are unchanged
  NO_CACHE=1                             ignore Docker's layer cache (cold-build timing)
EOF
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  runner | functions) NAME="$1" ;;
  *) echo "usage: scripts/build-image.sh runner|functions (see --help)" >&2; exit 2 ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
LOCAL_BASE=extgate/python-base:3.11-bookworm
IMAGE="${IMAGE:-extgate/$NAME:dev}"
DOCKERFILE="$NAME/Dockerfile"
WHEELHOUSE=build/wheelhouse
LOG="build/image-$NAME.log"
START=$SECONDS

step() { printf '==> [image %s %3ss] %s\n' "$NAME" "$((SECONDS - START))" "$*"; }
die() { printf 'image %s: error: %s\n' "$NAME" "$*" >&2; exit 1; }

BASE_IMAGE="$(scripts/base-image.sh)"
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  step "pulling $BASE_IMAGE"
  docker pull -q "$BASE_IMAGE" >/dev/null \
    || die "base image $BASE_IMAGE is not here and cannot be pulled; unset BASE_IMAGE" \
      "and run 'make images' (it builds $LOCAL_BASE with debootstrap)"
fi
base_id="$(docker image inspect -f '{{.Id}}' "$BASE_IMAGE")"
[[ -f "$WHEELHOUSE/.content-hash" ]] \
  || die "$WHEELHOUSE is missing (run scripts/build-wheelhouse.sh or make wheelhouse)"

inputs="$(cat "$DOCKERFILE" .dockerignore "$WHEELHOUSE/.content-hash" <(echo "$base_id") \
  | sha256sum | cut -c1-16)"
current="$(docker image inspect -f '{{index .Config.Labels "org.extgate.inputs"}}' \
  "$IMAGE" 2>/dev/null || true)"
if [[ "${FORCE:-0}" != 1 && "$current" == "$inputs" ]]; then
  step "skip: $IMAGE is up to date (inputs $inputs)"
  exit 0
fi

step "docker build -f $DOCKERFILE (base $BASE_IMAGE) -> $IMAGE; log: $LOG"
mkdir -p build
# Step lines as progress; the full output goes to the log and is shown on failure.
set +o pipefail
cache_flag=()
[[ "${NO_CACHE:-0}" == 1 ]] && cache_flag=(--no-cache)
docker build "${cache_flag[@]}" -f "$DOCKERFILE" -t "$IMAGE" \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --label "org.extgate.inputs=$inputs" \
  --label "org.extgate.wheelhouse=$(cat "$WHEELHOUSE/.content-hash")" \
  . 2>&1 | tee "$LOG" \
  | grep --line-buffered -E '^(Step [0-9]+/[0-9]+ : (FROM|COPY|RUN)|#[0-9]+ \[)' \
  | awk '{ print "    " substr($0, 1, 106); fflush() }'
status="${PIPESTATUS[0]}"
set -o pipefail
if [[ "$status" != 0 ]]; then
  tail -n 30 "$LOG" >&2
  die "docker build failed with status $status (full log: $LOG)"
fi

# Earlier builds of this image are now untagged: drop them so disk use stays flat.
docker image prune --force --filter "label=org.extgate.inputs" --filter dangling=true \
  >/dev/null 2>&1 || true
size="$(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"
step "done: $IMAGE ($size)"
