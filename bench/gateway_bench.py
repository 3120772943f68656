"""Latency and throughput of `execute` through the gateway vs. straight to the runner.

One run starts (unless given) a runner — by default the loopback stand-in from
tests/support/runner_standin.py — and the gateway's `execute` target as a real
process (functions-framework or gunicorn), then sends the same number of calls
both ways with the same concurrency, and prints p50/p99 latency, throughput and
the gateway/direct ratios side by side. Loops are bounded by --requests.

    .venv/bin/python bench/gateway_bench.py --requests 2000 --concurrency 4
    .venv/bin/python bench/gateway_bench.py --runner-url http://127.0.0.1:8085 \\
        --registry-file .extgate/installs.json --tenant acme --extension sample --path /hello
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.latency import percentile  # noqa: E402
from functions.backends.base import ExecuteRequest  # noqa: E402
from functions.backends.runner_client import execute_headers, execute_payload  # noqa: E402
from tests.support.loopback import env_without, free_port, wait_until  # noqa: E402

BENCH_HASH = "sha256:" + "0" * 64


@dataclass
class Result:
    name: str
    latencies_ms: list[float]
    wall_s: float
    errors: int

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_s


def _wait_listening(port: int, process: subprocess.Popen, what: str) -> None:
    def connects() -> bool:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True

    try:
        wait_until(connects, 30, f"{what} listening on {port}",
                   alive=lambda: process.poll() is None)  # fmt: skip
    except RuntimeError:
        raise SystemExit(f"{what} exited with status {process.returncode}") from None
    except TimeoutError as exc:
        raise SystemExit(str(exc)) from None


@contextmanager
def _process(argv: list[str], env: dict[str, str], port: int, what: str) -> Iterator[None]:
    process = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_listening(port, process, what)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _gateway_argv(server: str, port: int) -> list[str]:
    bindir = Path(sys.executable).parent
    if server == "gunicorn":
        return [str(bindir / "gunicorn"), "-c", "python:functions.gunicorn_conf",
                "functions.wsgi:app"]  # fmt: skip
    return [str(bindir / "functions-framework"), "--source", "functions/main.py",
            "--target", "execute", "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip


def run_load(name: str, call: Callable[[requests.Session], int], total: int, workers: int,
             warmup: int) -> Result:  # fmt: skip
    """`total` calls spread over `workers` threads, each with its own keep-alive session."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker(count: int) -> None:
        nonlocal errors
        session = requests.Session()
        for _ in range(warmup // workers):
            call(session)
        barrier.wait()
        local: list[float] = []
        bad = 0
        for _ in range(count):
            started = time.perf_counter()
            status = call(session)
            local.append((time.perf_counter() - started) * 1000)
            bad += status >= 400
        with lock:
            latencies.extend(local)
            errors += bad
        session.close()

    barrier = threading.Barrier(workers + 1)
    shares = [total // workers + (i < total % workers) for i in range(workers)]
    threads = [threading.Thread(target=worker, args=(n,)) for n in shares]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return Result(name, latencies, time.perf_counter() - started, errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="calls per target")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads")
    parser.add_argument("--rounds", type=int, default=4, help="alternating direct/gateway rounds")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured calls per target")
    parser.add_argument(
        "--server", choices=["functions-framework", "gunicorn"], default="functions-framework",
        help="how the gateway is served",
    )  # fmt: skip
    parser.add_argument("--runner-url", help="an already running runner (default: stand-in)")
    parser.add_argument("--registry-file", help="install registry to use (default: generated)")
    parser.add_argument("--tenant", default="bench")
    parser.add_argument("--extension", default="sample")
    parser.add_argument("--content-hash", default=BENCH_HASH, help="for the generated registry")
    parser.add_argument("--path", default="/hello", help="path inside the extension")
    parser.add_argument("--service-token", default=None, help="RUNNER_SERVICE_TOKEN for both")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 64 or not 1 <= args.requests <= 1_000_000:
        parser.error("--concurrency must be 1..64 and --requests 1..1000000")
    if not 1 <= args.rounds <= min(100, args.requests):
        parser.error("--rounds must be 1..100 and at most --requests")

    with tempfile.TemporaryDirectory() as tmp:
        registry = args.registry_file or _write_registry(Path(tmp), args)
        with _runner(args.runner_url) as runner_url:
            gateway_port = free_port()
            env = _gateway_env(args, runner_url, registry, gateway_port)
            argv_ = _gateway_argv(args.server, gateway_port)
            with _process(argv_, env, gateway_port, f"gateway ({args.server})"):
                direct, gateway = _measure(args, runner_url, f"http://127.0.0.1:{gateway_port}")
    _report(args, runner_url, direct, gateway)
    return 0 if direct.errors == 0 and gateway.errors == 0 else 1


@contextmanager
def _runner(url: str | None) -> Iterator[str]:
    if url:
        yield url.rstrip("/")
        return
    port = free_port()
    argv = [sys.executable, "tests/support/runner_standin.py", "--port", str(port)]
    with _process(argv, dict(os.environ), port, "runner stand-in"):
        yield f"http://127.0.0.1:{port}"


def _write_registry(tmp: Path, args: argparse.Namespace) -> str:
    path = tmp / "installs.json"
    record = {"tenant_id": args.tenant, "extension_id": args.extension, "install_id": "inst_bench",
              "version_id": "1.0.0", "content_hash": args.content_hash, "config": {},
              "providers": []}  # fmt: skip
    path.write_text(json.dumps({"installs": [record]}))
    return str(path)


def _gateway_env(args, runner_url: str, registry: str, port: int) -> dict[str, str]:
    env = env_without("RUNNER_", "EXT_")
    env |= {"RUNNER_BACKEND": "knative", "RUNNER_BASE_URL": runner_url,
            "INSTALL_REGISTRY_FILE": registry, "PORT": str(port), "FUNCTION_TARGET": "execute",
            "LOG_LEVEL": "WARNING"}  # fmt: skip
    if args.service_token:
        env["RUNNER_SERVICE_TOKEN"] = args.service_token
    return env


def _measure(args, runner_url: str, gateway_url: str) -> tuple[Result, Result]:
    install = json.loads(Path(args.registry_file).read_text()) if args.registry_file else None
    content_hash = _lookup_hash(install, args) if install else args.content_hash
    payload_request = ExecuteRequest(
        request_id="bench", tenant_id=args.tenant, extension_id=args.extension,
        content_hash=content_hash, method="GET", path=args.path,
        headers={"accept": "application/json"},
    )  # fmt: skip
    body = json.dumps(execute_payload(payload_request)).encode()
    direct_headers = execute_headers(payload_request) | {"content-type": "application/json"}
    if args.service_token:
        direct_headers["x-runner-service-token"] = args.service_token
    gateway_headers = {"x-alga-tenant": args.tenant, "accept": "application/json"}
    gateway_target = f"{gateway_url}/api/ext/{args.extension}{args.path}"

    def direct_call(session: requests.Session) -> int:
        response = session.post(f"{runner_url}/v1/execute", data=body, headers=direct_headers,
                                timeout=30)  # fmt: skip
        inner = response.json().get("status", 599) if response.status_code == 200 else 599
        return max(response.status_code, inner if inner >= 400 else 0)

    def gateway_call(session: requests.Session) -> int:
        return session.get(gateway_target, headers=gateway_headers, timeout=30).status_code

    # Alternate rounds so background load on a shared machine hits both sides alike.
    direct, gateway = Result("direct", [], 0.0, 0), Result("gateway", [], 0.0, 0)
    per_round = max(1, args.requests // args.rounds)
    for index in range(args.rounds):
        warmup = args.warmup if index == 0 else 0
        for total, name, call in ((direct, "direct", direct_call),
                                  (gateway, "gateway", gateway_call)):  # fmt: skip
            part = run_load(name, call, per_round, args.concurrency, warmup)
            total.latencies_ms += part.latencies_ms
            total.wall_s += part.wall_s
            total.errors += part.errors
    return direct, gateway


def _lookup_hash(document: dict, args) -> str:
    for record in document.get("installs", []):
        if (record.get("tenant_id"), record.get("extension_id")) == (args.tenant, args.extension):
            return record["content_hash"]
    raise SystemExit(f"no install for {args.tenant}/{args.extension} in {args.registry_file}")


def _report(args, runner_url: str, direct: Result, gateway: Result) -> None:
    runner = "stand-in" if args.runner_url is None else runner_url
    print(f"execute GET {args.path}: {len(direct.latencies_ms)} calls each way in {args.rounds} "
          f"alternating rounds, concurrency {args.concurrency}, gateway via {args.server}, "
          f"runner {runner}")  # fmt: skip
    print(f"{'':10}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}{'req/s':>10}{'errors':>8}")
    for result in (direct, gateway):
        print(f"{result.name:10}{result.p(0.50):10.2f}{result.p(0.99):10.2f}"
              f"{statistics.fmean(result.latencies_ms):10.2f}{result.throughput:10.0f}"
              f"{result.errors:8d}")  # fmt: skip
    p50, p99 = gateway.p(0.5) / direct.p(0.5), gateway.p(0.99) / direct.p(0.99)
    rate = gateway.throughput / direct.throughput
    print(f"{'ratio':10}{p50:9.2f}x{p99:9.2f}x{'':10}{rate:9.2f}x   (gateway / direct)")


if __name__ == "__main__":
    raise SystemExit(main())
