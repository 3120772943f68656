#!/usr/bin/env bash
# Apply a rendered overlay (one object per file, from `knative/render.py build --split`):
# `kn service apply` for each Knative Service, `kubectl apply` for everything else, in
# render order (ConfigMaps and Secrets first). Creates the namespace if it is missing, and
# in an overlay without a Secret (prod) creates extgate-runner-token once with a random
# token. DRY_RUN=1 prints the commands instead of running them.
#
#   knative/deploy.sh build/knative/dev
#   DRY_RUN=1 knative/deploy.sh build/knative/prod
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; "") usage >&2; exit 2 ;; esac
DIR=$1
KN=${KN:-kn}
KUBECTL=${KUBECTL:-kubectl}
PYTHON=${PYTHON:-python3}

run() {
  echo "+ $*"
  if [ "${DRY_RUN:-}" != "1" ]; then "$@"; fi
}

shopt -s nullglob
files=("$DIR"/*.yaml)
[ ${#files[@]} -gt 0 ] || { echo "deploy: no manifests in $DIR (run make manifests)" >&2; exit 1; }

if [ "${DRY_RUN:-}" != "1" ]; then
  for tool in "$KN" "$KUBECTL"; do
    command -v "$tool" >/dev/null || { echo "deploy: $tool not found on PATH" >&2; exit 1; }
  done
fi

namespace=$(sed -n 's/^  namespace: //p' "${files[@]}" | sort -u)
[ "$(echo "$namespace" | wc -l)" -eq 1 ] && [ -n "$namespace" ] \
  || { echo "deploy: expected exactly one namespace, got: ${namespace:-none}" >&2; exit 1; }

if [ "${DRY_RUN:-}" = "1" ] || ! "$KUBECTL" get namespace "$namespace" >/dev/null 2>&1; then
  run "$KUBECTL" create namespace "$namespace"
fi
if ! grep -lq '^kind: Secret$' "${files[@]}"; then
  if [ "${DRY_RUN:-}" = "1" ] || ! "$KUBECTL" -n "$namespace" get secret extgate-runner-token >/dev/null 2>&1; then
    token=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')
    echo "+ $KUBECTL -n $namespace create secret generic extgate-runner-token --from-literal=RUNNER_SERVICE_TOKEN=<random>"
    if [ "${DRY_RUN:-}" != "1" ]; then
      "$KUBECTL" -n "$namespace" create secret generic extgate-runner-token \
        --from-literal=RUNNER_SERVICE_TOKEN="$token" >/dev/null
    fi
  fi
fi

for file in "${files[@]}"; do
  if grep -q '^apiVersion: serving.knative.dev/v1$' "$file" && grep -q '^kind: Service$' "$file"; then
    run "$KN" service apply --namespace "$namespace" -f "$file"
  else
    run "$KUBECTL" apply --namespace "$namespace" -f "$file"
  fi
done
