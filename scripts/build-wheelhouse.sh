#!/usr/bin/env bash
# Build build/wheelhouse: every wheel the container images install, made on the host
# (which reaches PyPI) so `docker build` installs with --no-index and needs no network.
#
# Two stamps keep re-runs cheap:
#   deps stamp    = sha256(pyproject.toml)             -> third-party wheels (slow, rare)
#   project stamp = sha256(pyproject.toml + sources)   -> the extgate wheel (fast, often)
# The extgate wheel is built from a clean copy of the sources, never in-tree, so stale
# setuptools build/lib output can never leak deleted modules into an image.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/build-wheelhouse.sh [--help]

Builds the wheels for extgate and extgate[runner] into build/wheelhouse using the
host venv's pip. Skips whatever is already up to date.

environment:
  VENV=.venv                 venv whose pip builds the wheels (must be Python 3.11)
  WHEELHOUSE=build/wheelhouse
  EXTRAS=runner              extras whose dependencies go in (never `docker`)
  FORCE=1                    rebuild everything
EOF
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
VENV="${VENV:-.venv}"
WHEELHOUSE="${WHEELHOUSE:-build/wheelhouse}"
EXTRAS="${EXTRAS:-runner}"
FORCE="${FORCE:-0}"
PIP="$VENV/bin/pip"
# What goes into the extgate wheel (see [tool.setuptools] in pyproject.toml).
SOURCES=(pyproject.toml README.md functions runner emulator extgate)
LOG="${WHEELHOUSE%/*}/wheelhouse.log"
# Fixed zip timestamps: the same sources give byte-identical wheels, so the content hash
# below (which the image builds key on) changes only when something real changed.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-315532800}"
START=$SECONDS

step() { printf '==> [wheelhouse %3ss] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf 'wheelhouse: error: %s\n' "$*" >&2; exit 1; }
# pip's output (and setuptools' warnings) go to a log, shown only when a build fails.
pip_wheel() {
  "$PIP" wheel --disable-pip-version-check "$@" >"$LOG" 2>&1 \
    || { tail -n 40 "$LOG" >&2; die "pip wheel failed (full log: $LOG)"; }
}

[[ -x "$PIP" ]] || die "$PIP not found; run 'make venv' first"
"$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || die "$VENV must be Python 3.11 (the images run 3.11; wheels are per-version)"
[[ ",$EXTRAS," == *,docker,* ]] && die "EXTRAS must not contain docker (function image)"

# Hash of file names + contents, ignoring bytecode caches and editor droppings.
source_hash() {
  find "$@" -type f -not -path '*/__pycache__/*' -not -name '*.pyc' -not -name '.*' \
    -not -path '*.egg-info/*' -print0 2>/dev/null \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16
}

# layout=2: deps/ + project/ split; bump when the wheelhouse layout changes.
deps_key="$(cat pyproject.toml <(echo "extras=$EXTRAS layout=2") | sha256sum | cut -c1-16)"
project_key="$deps_key-$(source_hash "${SOURCES[@]}")"
deps_stamp="$WHEELHOUSE/.deps-stamp"
project_stamp="$WHEELHOUSE/.project-stamp"
[[ "$FORCE" == 1 ]] && rm -f "$deps_stamp" "$project_stamp"

rebuild_deps=0
if [[ "$(cat "$deps_stamp" 2>/dev/null)" != "$deps_key" ]]; then
  rebuild_deps=1
elif [[ "$(cat "$project_stamp" 2>/dev/null)" == "$project_key" ]]; then
  step "skip: $WHEELHOUSE is up to date ($project_key)"
  exit 0
fi

# A clean copy of the sources for building the extgate wheel.
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
tar -cf - --exclude=__pycache__ --exclude='*.pyc' --exclude='*.egg-info' "${SOURCES[@]}" \
  | tar -xf - -C "$src"

# deps/ and project/ are separate so an image rebuild after a source change reuses the
# cached third-party layer and reinstalls only the extgate wheel.
mkdir -p "$WHEELHOUSE/deps" "$WHEELHOUSE/project"
if [[ "$rebuild_deps" == 1 ]]; then
  step "third-party wheels for extgate[$EXTRAS] (pyproject.toml changed or first run)"
  rm -f "$WHEELHOUSE"/*.whl "$WHEELHOUSE"/deps/* "$WHEELHOUSE"/project/*
  pip_wheel --wheel-dir "$WHEELHOUSE/deps" "${src}[${EXTRAS}]"
  mv "$WHEELHOUSE"/deps/extgate-*.whl "$WHEELHOUSE/project/"
  # What each image needs, resolved offline against the wheelhouse itself.
  for image in functions:extgate runner:"extgate[$EXTRAS]"; do
    step "resolving requirements-${image%%:*}.txt for ${image#*:}"
    "$PIP" install --quiet --dry-run --ignore-installed --no-index \
      --find-links "$WHEELHOUSE/deps" --find-links "$WHEELHOUSE/project" \
      --report "$src/report.json" "${image#*:}" >>"$LOG" 2>&1 \
      || { tail -n 20 "$LOG" >&2; die "could not resolve ${image#*:} from the wheelhouse"; }
    "$VENV/bin/python" - "$src/report.json" >"$WHEELHOUSE/deps/requirements-${image%%:*}.txt" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
pins = sorted(
    f"{i['metadata']['name']}=={i['metadata']['version']}"
    for i in report["install"]
    if i["metadata"]["name"] != "extgate"
)
print("\n".join(pins))
PY
  done
  echo "$deps_key" >"$deps_stamp"
else
  step "extgate wheel (sources changed)"
  rm -f "$WHEELHOUSE"/project/*
  pip_wheel --wheel-dir "$WHEELHOUSE/project" --no-deps "$src"
fi
echo "$project_key" >"$project_stamp"

# The images key their rebuilds on this: it changes exactly when a wheel changes.
(cd "$WHEELHOUSE" && sha256sum -- deps/* project/*.whl) | sha256sum | cut -c1-16 \
  >"$WHEELHOUSE/.content-hash"
step "done: $(find "$WHEELHOUSE" -name '*.whl' | wc -l) wheels," \
  "$(du -sh "$WHEELHOUSE" | cut -f1), content $(cat "$WHEELHOUSE/.content-hash")"
