"""Emulator benchmark: start-up time of `make emulate` and the cost of the emulator hop.

1. Time from `make emulate` (images and the sample already built) to the first 200
   from the sample's API through the emulator: a first run on a fresh Compose project
   (container created, empty data volume, component compiled) and a second run that
   reuses the container and volume, as a developer's next `make emulate` does.
2. Requests/s and p50/p99 latency of `GET /api/ext/sample/hello` through the emulator
   (gateway target + runner container) against the same call made straight to the
   runner container (`POST /v1/execute` with the body the gateway sends), side by side.

Everything runs on loopback against our own containers, under a project name and
ports of its own; the stack is removed at the end (`scripts/dev-runner.sh clean`).

    .venv/bin/python bench/emulator_bench.py [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.latency import percentile  # noqa: E402
from functions.backends.base import ExecuteRequest  # noqa: E402
from functions.backends.runner_client import execute_headers, execute_payload  # noqa: E402
from functions.install_registry import Install  # noqa: E402
from tests.support.loopback import env_without, free_port  # noqa: E402


def start_make_emulate(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("a")
    return subprocess.Popen(
        ["make", "--no-print-directory", "emulate"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def stop_process_group(proc: subprocess.Popen) -> None:
    """Stop the `make emulate` we started (its own session), by its process group id."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


PHASES = (
    ("images checked", "scripts/dev-runner.sh up"),
    ("runner healthy", "dev-runner: runner is healthy"),
    ("sample installed + precompiled", "precompiled the bundle"),
    ("emulator serving", "[emulator] serving"),
)


def time_to_first_200(
    url: str, proc: subprocess.Popen, log_path: Path, limit_s: float = 600
) -> tuple[float, dict[str, float]]:
    """Seconds to the first 200, and when each phase's marker appeared in the log."""
    started = time.monotonic()
    offset = log_path.stat().st_size if log_path.exists() else 0
    phases: dict[str, float] = {}
    while time.monotonic() - started < limit_s:
        if proc.poll() is not None:
            raise SystemExit(f"make emulate exited with {proc.returncode}; see {log_path}")
        text = log_path.read_text(errors="replace")[offset:]
        for name, marker in PHASES:
            if name not in phases and marker in text:
                phases[name] = round(time.monotonic() - started, 2)
        try:
            if requests.get(url, timeout=30).status_code == 200:
                return time.monotonic() - started, phases
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise SystemExit("no 200 within the limit")


def load(call, total: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        nonlocal errors
        session = requests.Session()
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            started = time.perf_counter()
            ok = call(session)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {
        "rps": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "errors": errors,
    }


def direct_execute_call(runner_url: str, record: dict):
    """`GET /hello` sent to the runner as the gateway sends it for this install record
    (the request fields as `functions.execute_core.run_execute` fills them; the client
    sent no headers, and `execute_payload` adds the routing ones itself)."""
    install = Install.from_record(record)
    request = ExecuteRequest(
        request_id="bench", tenant_id=install.tenant_id, extension_id=install.extension_id,
        content_hash=install.content_hash, method="GET", path="/hello",
        install_id=install.install_id, version_id=install.version_id, config=install.config,
        timeout_ms=install.limits.get("timeout_ms"),
        memory_mb=install.limits.get("memory_mb"), fuel=install.limits.get("fuel"),
        providers=install.providers, secret_envelope=install.secret_envelope,
    )  # fmt: skip
    body, headers = execute_payload(request), execute_headers(request)

    def call(session: requests.Session) -> bool:
        resp = session.post(f"{runner_url}/v1/execute", json=body, headers=headers, timeout=30)
        return resp.status_code == 200 and resp.json().get("status") == 200

    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured calls per target")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="emulator-bench-"))
    os.chmod(state, 0o755)
    emulator_port, runner_port = free_port(), free_port()
    env = env_without("EMULATOR_", "RUNNER_")
    env.update(
        COMPOSE_PROJECT_NAME=f"extgate-bench-{uuid.uuid4().hex[:6]}",
        RUNNER_DOCKER_PORT=str(runner_port),
        EXTGATE_STATE_DIR=str(state),
        EMULATOR_PORT=str(emulator_port),
        EMULATOR_RELOAD="0",
    )
    log_path = state / "make-emulate.log"
    url = f"http://127.0.0.1:{emulator_port}/api/ext/sample/hello"
    results: dict[str, object] = {}
    proc = None
    print("make sample images (untimed: the figures assume images are built)", flush=True)
    subprocess.run(["make", "--no-print-directory", "sample", "images"], cwd=REPO, env=env,
                   check=True, capture_output=True)  # fmt: skip
    try:
        for run in ("first run (fresh project)", "second run (reuses container + volume)"):
            proc = start_make_emulate(env, log_path)
            took, phases = time_to_first_200(url, proc, log_path)
            results[run] = round(took, 2)
            steps = ", ".join(f"{name} {at} s" for name, at in phases.items())
            print(f"make emulate -> first 200, {run}: {results[run]} s ({steps})", flush=True)
            if "images checked" in phases:
                after = round(took - phases["images checked"], 2)
                print(f"  of which after the image check (Compose up .. first 200): {after} s")
            if run.startswith("first"):
                stop_process_group(proc)
                subprocess.run(
                    ["bash", "scripts/dev-runner.sh", "stop"], cwd=REPO, env=env,
                    capture_output=True, check=True,
                )  # fmt: skip
        install = json.loads((state / "installs.json").read_text())["installs"][0]
        through = load(
            lambda s: s.get(url, timeout=30).status_code == 200, args.requests, args.concurrency
        )
        direct = load(
            direct_execute_call(f"http://127.0.0.1:{runner_port}", install),
            args.requests, args.concurrency,
        )  # fmt: skip
    finally:
        if proc is not None:
            stop_process_group(proc)
        subprocess.run(["bash", "scripts/dev-runner.sh", "clean"], cwd=REPO, env=env,
                       capture_output=True)  # fmt: skip
    print(f"\n{args.requests} x GET /hello, concurrency {args.concurrency}, 2 cores shared")
    print(f"{'path':<34}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, row in (
        ("through the emulator (:port)", through),
        ("straight to the runner", direct),
    ):
        print(
            f"{name:<34}{row['rps']:>8.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['errors']:>8}"
        )
    print(f"emulator/direct p50 ratio: {through['p50_ms'] / direct['p50_ms']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
