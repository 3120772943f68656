"""Runner HTTP benchmark: gunicorn on loopback, the real sample component.

Measures, through ``POST /v1/execute``:
  1. first-request latency on a cold runner (fresh data dir: fetch, extract, compile);
  2. first-request latency after a restart on the same data dir (on-disk compiled cache);
  3. sequential latency p50/p90/p99 (one keep-alive client);
  4. throughput and latency with N concurrent clients.

Usage:
    make sample
    .venv/bin/python bench/runner_bench.py [--bundle build/bundles/sample.tar.zst]
        [--requests 400] [--concurrency 4] [--threads 8] [--path /hello]

Loopback only, bounded request counts. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.latency import percentile  # noqa: E402
from functions.backends.base import ExecuteRequest  # noqa: E402
from functions.backends.runner_client import execute_headers, execute_payload  # noqa: E402
from runner.bundles import object_path  # noqa: E402
from tests.support.loopback import env_without, free_port, wait_until  # noqa: E402

# Everything runner/config.py and runner/gunicorn_conf.py read besides PORT and LOG_LEVEL:
# a developer's own RUNNER_SERVICE_TOKEN or RUNNER_MAX_FUEL must not reach the runner.
RUNNER_ENV_PREFIXES = ("RUNNER_", "EXT_", "BUNDLE_", "IDEMPOTENCY_")


def execute_request(content_hash: str, path: str) -> ExecuteRequest:
    """A GET of the sample, as the gateway would resolve it from an install record."""
    return ExecuteRequest(
        request_id="bench",
        tenant_id="bench",
        extension_id="sample",
        content_hash=content_hash,
        method="GET",
        path=path,
        install_id="inst_bench",
        version_id="1.0.0",
        config={"greeting": "hi"},
        timeout_ms=10_000,
        memory_mb=256,
        providers=("cap:storage.kv",),
    )


class Runner:
    """One gunicorn runner process on a loopback port."""

    def __init__(self, store: Path, data: Path, workers: int, threads: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **env_without(*RUNNER_ENV_PREFIXES),
            "PORT": str(self.port),
            "BUNDLE_STORE_BASE": str(store),
            "RUNNER_DATA_DIR": str(data),
            "RUNNER_WORKERS": str(workers),
            "RUNNER_THREADS": str(threads),
            "LOG_LEVEL": "WARNING",
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:runner.gunicorn_conf",
                "--access-logfile",
                "/dev/null",
                "runner.wsgi:app",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(
                lambda: requests.get(f"{self.base}/healthz", timeout=2).status_code == 200,
                60,
                f"runner healthy on {self.base}",
                alive=lambda: self.proc.poll() is None,
            )
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise SystemExit(f"runner did not become healthy: {exc}") from None

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def timed_call(session: requests.Session, base: str, request: ExecuteRequest) -> float:
    body, headers = execute_payload(request), execute_headers(request)
    started = time.perf_counter()
    resp = session.post(f"{base}/v1/execute", json=body, headers=headers, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if resp.status_code != 200 or resp.json()["status"] != 200:
        raise SystemExit(f"unexpected answer: {resp.status_code} {resp.text[:200]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--bundle",
        type=Path,
        default=REPO / "build/bundles/sample.tar.zst",
        help="bundle to serve (default: the sample from `make sample`)",
    )
    parser.add_argument("--requests", type=int, default=400, help="measured calls per run")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("RUNNER_WORKERS") or 2),
        help="RUNNER_WORKERS (default: $RUNNER_WORKERS, else 2 as the runner)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("RUNNER_THREADS") or 4),
        help="RUNNER_THREADS (default: $RUNNER_THREADS, else 4 as the runner)",
    )
    parser.add_argument("--path", default="/hello", help="path inside the extension")
    args = parser.parse_args()
    if not args.bundle.is_file():
        raise SystemExit(f"{args.bundle} not found: run `make sample` first")

    work = Path(tempfile.mkdtemp(prefix="runner-bench-"))
    try:
        data = args.bundle.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        target = work / "store" / object_path(digest)
        target.parent.mkdir(parents=True)
        target.write_bytes(data)
        request = execute_request(f"sha256:{digest}", args.path)
        rows: list[tuple[str, str]] = []

        runner = Runner(work / "store", work / "data", args.workers, args.threads)
        with requests.Session() as session:
            cold = timed_call(session, runner.base, request)
        runner.stop()
        rows.append(("first request, cold runner (fetch + extract + compile)", f"{cold:.0f} ms"))

        runner = Runner(work / "store", work / "data", args.workers, args.threads)
        try:
            with requests.Session() as session:
                warm = timed_call(session, runner.base, request)
                rows.append(
                    ("first request after restart (on-disk compiled cache)", f"{warm:.0f} ms")
                )
                for _ in range(10):
                    timed_call(session, runner.base, request)
                seq = [timed_call(session, runner.base, request) for _ in range(args.requests)]
            rows.append(
                (
                    f"sequential latency p50 / p90 / p99 ({args.requests} requests)",
                    " / ".join(f"{percentile(seq, q):.1f}" for q in (0.5, 0.9, 0.99)) + " ms",
                )
            )
            rows.append(("sequential throughput", f"{1000 / statistics.mean(seq):.0f} req/s"))

            sessions = [requests.Session() for _ in range(args.concurrency)]
            per_client = max(1, args.requests // args.concurrency)

            def client(i: int) -> list[float]:
                return [timed_call(sessions[i], runner.base, request) for _ in range(per_client)]

            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                lat = [x for chunk in pool.map(client, range(args.concurrency)) for x in chunk]
            wall = time.perf_counter() - started
            for s in sessions:
                s.close()
            rows.append(
                (
                    f"{args.concurrency} concurrent clients: throughput",
                    f"{len(lat) / wall:.0f} req/s",
                )
            )
            rows.append(
                (
                    f"{args.concurrency} concurrent clients: p50 / p99",
                    f"{percentile(lat, 0.5):.1f} / {percentile(lat, 0.99):.1f} ms",
                )
            )
        finally:
            runner.stop()

        print(
            f"\nrunner bench: path {args.path}, gunicorn {args.workers} worker(s) x "
            f"{args.threads} threads, "
            f"{os.cpu_count()} CPUs\n"
        )
        print("| measure | value |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
