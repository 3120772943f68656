"""Start-up to ready of the function image, started the way Knative starts it.

For each gateway target, the image's exact command (``gunicorn -c
python:functions.gunicorn_conf functions.wsgi:app``) is started with a random PORT
and K_SERVICE/K_REVISION/K_CONFIGURATION set, and the readiness path is polled every
20 ms (as a kubelet with periodSeconds unset probes) until it answers 200. With
``--container`` the image ``extgate/functions:dev`` is started the same way
(``docker run --network host``), which adds container creation to the figure.
Each server is stopped with SIGTERM and its graceful exit is timed too.

This is a benchmark, not a test: it prints min/median/max over ``--runs`` starts.
Nothing is sent off the machine; the gateway's runner URL is a closed loopback port
(readiness must not depend on the runner).

    .venv/bin/python bench/knative_startup_bench.py --runs 5 [--container]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.knative.serving_harness import (  # noqa: E402 - needs the repo root on sys.path
    FunctionContainer,
    GunicornProcess,
    docker_image_available,
    knative_env,
)
from tests.support.loopback import free_port  # noqa: E402

TARGETS = ("execute", "ui_proxy", "health", "execute_event")


def bench_env(target: str, registry: str) -> dict[str, str]:
    return knative_env(target, free_port()) | {
        "RUNNER_BACKEND": "knative",
        "RUNNER_BASE_URL": "http://127.0.0.1:9",
        "INSTALL_REGISTRY_FILE": registry,
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "8",
    }


def measure(start, target: str, runs: int) -> dict[str, list[float]]:
    ready, stop = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        server = start(target)
        try:
            server.wait_ready("/livez", timeout_s=120)
            ready.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            server.sigterm()
            code = server.wait_exit(60)
            stop.append(time.perf_counter() - t1)
            if code != 0:
                print(f"warning: {target} exited {code} after SIGTERM", file=sys.stderr)
        finally:
            server.stop()
    return {"ready_s": ready, "sigterm_exit_s": stop}


def summary(values: list[float]) -> str:
    return f"min {min(values):.2f}  median {statistics.median(values):.2f}  max {max(values):.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="starts per target (default 5)")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--container", action="store_true", help="also time the image")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be >= 1")

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "installs.json"
        registry.write_text('{"installs": []}')
        registry.chmod(0o644)

        def process(target: str):
            return GunicornProcess(bench_env(target, str(registry)), Path(tmp) / "server.log")

        def container(target: str):
            env = bench_env(target, "/srv/installs.json")
            return FunctionContainer(env, {str(registry): "/srv/installs.json"})

        for target in args.targets:
            results[f"process:{target}"] = measure(process, target, args.runs)
        if args.container:
            reason = docker_image_available()
            if reason:
                print(f"SKIP container figures: {reason}", file=sys.stderr)
            else:
                results["container:execute"] = measure(container, "execute", args.runs)

    print(f"# knative start-up bench: {args.runs} runs, {platform.python_version()}, "
          f"{platform.machine()}")  # fmt: skip
    for name, figures in results.items():
        print(f"{name:24s} ready  {summary(figures['ready_s'])} s")
        print(f"{'':24s} SIGTERM->exit  {summary(figures['sigterm_exit_s'])} s")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
