"""Benchmark the runner's wasm engine on the real sample component.

Measures, on one machine:
  - cold compile: `Engine.prepare` on an empty cache (compile + serialize to disk)
  - warm load: `Engine.prepare` on a new Engine over that cache (deserialize, as after
    a runner restart)
  - per request: `Engine.execute` = fresh Store + instantiate + handler call, for
    GET /hello and POST /counter (SQLite storage), sequential and with threads
  - the same with fuel metering disabled, to show what metering costs

Bounded loops only; everything runs in-process. Usage:

    .venv/bin/python bench/runner_engine_bench.py [--requests 500] [--threads 2]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.latency import percentile  # noqa: E402
from runner.engine import Engine, Invocation  # noqa: E402
from runner.host import HostServices  # noqa: E402
from tests.support.components import SAMPLE_EXTENSION_DIR, build_cached_component  # noqa: E402


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def invocation(method: str, url: str) -> Invocation:
    return Invocation(
        request_id="bench",
        tenant_id="bench",
        extension_id="sample",
        config={"greeting": "Hi"},
        method=method,
        url=url,
        providers=["cap:storage.kv"],
    )


def latency_run(
    engine: Engine,
    host: HostServices,
    wasm: Path,
    content_hash: str,
    method: str,
    url: str,
    requests: int,
    threads: int,
) -> tuple[list[float], float]:
    """Per-request latencies (ms) and throughput (req/s) for `requests` calls."""
    inv = invocation(method, url)
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = requests // threads

    def worker() -> None:
        local = [
            timed(lambda: engine.execute(content_hash, wasm, inv, host)) for _ in range(per_thread)
        ]
        with lock:
            latencies.extend(local)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return latencies, len(latencies) / elapsed


def report(label: str, samples: list[float], rate: float | None = None) -> None:
    line = (
        f"{label:<34} p50 {percentile(samples, 0.5):8.2f} ms  p99 "
        f"{percentile(samples, 0.99):8.2f} ms  mean {statistics.fmean(samples):8.2f} ms"
    )
    if rate is not None:
        line += f"  {rate:7.0f} req/s"
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="calls per latency run")
    parser.add_argument("--threads", type=int, default=2, help="threads for the parallel run")
    parser.add_argument("--compiles", type=int, default=2, help="cold compiles to time")
    parser.add_argument("--loads", type=int, default=5, help="warm loads to time")
    args = parser.parse_args(argv)
    logging.getLogger("extgate.runner.guest").setLevel(logging.WARNING)

    print("sample component from build/test-components/ (built if stale) ...", flush=True)
    sample = build_cached_component(SAMPLE_EXTENSION_DIR, "sample")
    wasm, content_hash = sample.wasm, sample.content_hash
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp:
        work = Path(tmp)
        print(f"sample component: {wasm.stat().st_size / 1e6:.1f} MB", flush=True)
        compiles = []
        for i in range(args.compiles):
            engine = Engine(work / f"cold-{i}")
            compiles.append(timed(lambda e=engine: e.prepare(content_hash, wasm)))
            assert engine.cache_stats().compiled_from_source == 1
            serialized = engine.serialized_path(content_hash)
            engine.close()
        print(f"serialized component: {serialized.stat().st_size / 1e6:.1f} MB")
        report("cold compile (prepare, empty cache)", compiles)

        loads = []
        for _ in range(args.loads):
            engine = Engine(work / "cold-0")
            loads.append(timed(lambda e=engine: e.prepare(content_hash, wasm)))
            assert engine.cache_stats().loaded_from_disk == 1
            engine.close()
        report("warm load (prepare after restart)", loads)

        for fuel_enabled in (True, False):
            engine = Engine(work / f"fuel-{fuel_enabled}", fuel_enabled=fuel_enabled)
            engine.prepare(content_hash, wasm)
            host = HostServices(work / f"data-{fuel_enabled}")
            tag = "fuel on " if fuel_enabled else "fuel off"
            for method, url in (("GET", "/hello"), ("POST", "/counter")):
                latency_run(engine, host, wasm, content_hash, method, url, 20, 1)  # warm-up
                samples, rate = latency_run(
                    engine, host, wasm, content_hash, method, url, args.requests, 1
                )
                report(f"{tag} {method} {url} x1", samples, rate)
                samples, rate = latency_run(
                    engine, host, wasm, content_hash, method, url, args.requests, args.threads
                )
                report(f"{tag} {method} {url} x{args.threads}", samples, rate)
            host.close()
            engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
