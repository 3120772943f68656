#!/usr/bin/env bash
# Wrap Docker Compose for the local runner stack: the right file, project name and env.
# Works with the `docker compose` plugin and with the standalone `docker-compose` (v1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMPOSE_FILE="$ROOT/docker-compose.runner-dev.yml"
export COMPOSE_PROJECT_NAME="${COMPOSE_PROJECT_NAME:-extgate-dev}"
export RUNNER_DOCKER_PORT="${RUNNER_DOCKER_PORT:-8085}"
export EXTGATE_STATE_DIR="${EXTGATE_STATE_DIR:-$ROOT/.extgate}"
BASE_IMAGE="$("$ROOT/scripts/base-image.sh")"  # the same choice as make's
export BASE_IMAGE

usage() {
  cat <<'USAGE'
usage: scripts/dev-runner.sh COMMAND [ARGS...]

Runs Docker Compose on docker-compose.runner-dev.yml for the emulator's runner.

commands:
  up        start the runner (detached; builds extgate/runner:dev only if missing)
  wait      wait until the runner container's healthcheck passes (RUNNER_WAIT_S, 180)
  gateway   also start the gateway functions from their production image (profile gateway)
  stop      stop the emulator (if its pid file is there) and the containers; keep volumes
  down      stop and remove containers; keep volumes
  clean     remove containers AND volumes (runner data, compiled cache)
  status    show the containers
  logs      follow the runner's logs
  compose   pass any other arguments straight to Compose (e.g. `compose ps -q`)

environment:
  COMPOSE_PROJECT_NAME=extgate-dev   project name (tests use a unique one)
  RUNNER_DOCKER_PORT=8085            host port the runner is published on (127.0.0.1)
  EXTGATE_STATE_DIR=./.extgate       install registry + bundle store mounted into the runner
  BASE_IMAGE=...                     base image when the runner image must be built
USAGE
}

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -f "$COMPOSE_FILE" -p "$COMPOSE_PROJECT_NAME" "$@"
  elif command -v docker-compose >/dev/null 2>&1; then
    docker-compose -f "$COMPOSE_FILE" -p "$COMPOSE_PROJECT_NAME" "$@"
  else
    echo "dev-runner: neither 'docker compose' nor 'docker-compose' is installed" >&2
    exit 127
  fi
}

require_engine() {
  if ! docker info >/dev/null 2>&1; then
    echo "dev-runner: no Docker engine is reachable; start Docker, or run the runner as a local process: EMULATOR_RUNNER=process make emulate" >&2
    exit 3
  fi
}

wait_healthy() {
  local deadline=$((SECONDS + ${RUNNER_WAIT_S:-180})) id status
  while ((SECONDS < deadline)); do
    id="$(compose ps -q extension-runner 2>/dev/null | head -n1)"
    status="$( [[ -n "$id" ]] && docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)"
    # The HTTP probe answers as soon as the runner does, before Docker's next healthcheck.
    if [[ "$status" == healthy ]] || { [[ "$status" == starting ]] && command -v curl >/dev/null \
        && curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$RUNNER_DOCKER_PORT/healthz"; }; then
      echo "dev-runner: runner is healthy"
      return 0
    fi
    printf 'dev-runner: waiting for the runner (%s, %ss)\n' "$status" "$SECONDS"
    sleep 0.5
  done
  echo "dev-runner: the runner did not become healthy; see: scripts/dev-runner.sh logs" >&2
  return 1
}

stop_emulator() {
  local pid_file="$EXTGATE_STATE_DIR/emulator-$COMPOSE_PROJECT_NAME.pid" pid
  [[ -f "$pid_file" ]] || return 0
  pid="$(cat "$pid_file")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    echo "dev-runner: stopping the emulator (pid $pid)"
    kill -TERM "$pid" || true
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done  # its watchdog too
  fi
  rm -f "$pid_file"
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  -h | --help | help | "") usage; [[ -n "$cmd" ]] ;;
  up)
    require_engine
    mkdir -p "$EXTGATE_STATE_DIR/bundles"
    compose up -d "$@" extension-runner
    ;;
  wait) require_engine; wait_healthy ;;
  gateway)
    require_engine
    mkdir -p "$EXTGATE_STATE_DIR/bundles"
    compose up -d --no-recreate extension-runner  # never replace a runner the emulator watches
    compose --profile gateway up -d --no-deps "$@" gateway-execute gateway-ui-proxy gateway-health
    ;;
  stop) stop_emulator; require_engine; compose --profile gateway stop "$@" ;;
  down) stop_emulator; require_engine; compose --profile gateway down "$@" ;;
  clean) stop_emulator; require_engine; compose --profile gateway down -v --remove-orphans "$@" ;;
  status) require_engine; compose --profile gateway ps "$@" ;;
  logs) require_engine; compose logs -f --tail=100 "$@" extension-runner ;;
  compose) compose "$@" ;;
  *) echo "dev-runner: unknown command '$cmd' (see --help)" >&2; exit 2 ;;
esac
