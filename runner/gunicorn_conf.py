"""Gunicorn settings for the runner (``gunicorn -c python:runner.gunicorn_conf``).

Workers and threads come from ``RUNNER_WORKERS`` (default 2) and
``RUNNER_THREADS`` (default 4), never from the CPU count (a pod gets its CPU
limit, not the node's cores). Worker processes, not threads, are what scale the
engine: wasmtime instantiates the guest with copy-on-write memory images, and
concurrent instantiations in one process contend on the kernel's per-process mmap
lock, so two threads give ~0.6x the throughput of one (330 vs 206 req/s in the
engine bench) while two workers nearly double it (307 vs 156 req/s with 4 threads
each, docs/benchmarks.md). Each worker keeps its own compiled components in memory; the
idempotency store is a SQLite file in the data dir that all workers share.
Knative's ``containerConcurrency`` for the runner is workers x threads (8).

The runner's settings (``runner.config``) are validated here, in the master, before
any worker is forked: a worker that exits 2 on a bad setting is simply re-forked by
gunicorn (only exit codes 3 and 4 stop the master), so a bad value would otherwise
boot workers forever. A bad value stops start-up with one line and exit code 2.
"""

from __future__ import annotations

import os
import sys

from runner.config import ConfigError, check_data_dir, load_settings

try:
    _settings = load_settings()
    check_data_dir(_settings.data_dir)
except ConfigError as exc:
    print(exc, file=sys.stderr)
    sys.exit(2)


def _positive_int(var: str, default: int) -> int:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(
            f"config error: {var} must be a positive integer; example: {var}={default}"
        )
    return int(raw)


bind = f"0.0.0.0:{_settings.port}"
workers = _positive_int("RUNNER_WORKERS", 2)
threads = _positive_int("RUNNER_THREADS", 4)
worker_class = "gthread"
timeout = _positive_int("RUNNER_WORKER_TIMEOUT_S", 120)
graceful_timeout = _positive_int("RUNNER_GRACEFUL_TIMEOUT_S", 25)
keepalive = 75  # longer than the gateway's pooled-connection idle time
preload_app = False
# gunicorn 27 opens a control socket under $HOME; the image runs as a user without one.
control_socket_disable = True
# The worker heartbeat file on an overlay filesystem can stall under I/O load; tmpfs cannot.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn creates its own unlinked file there
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
accesslog = "-"
errorlog = "-"
# gunicorn's own lines (start, worker boot/exit) as JSON like the app's; access lines
# are already JSON (format below) and are written as they are. The root logger gets
# no handler here: runner/wsgi.py installs the app's JSON handler.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_json"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access_raw"], "propagate": False},
    },
    "handlers": {
        "error_json": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
        "access_raw": {
            "class": "logging.StreamHandler",
            "formatter": "raw",
            "stream": "ext://sys.stdout",
        },
    },
    "formatters": {
        "json": {"()": "runner.log_format.JsonFormatter"},
        "raw": {"format": "%(message)s"},
    },
}
# JSON-ish access line. Only method, path (no query string: it may carry tokens),
# status, size, duration, the request id and the worker pid ("<123>", which of the
# workers served it); never headers such as the service token.
access_log_format = (
    '{"ts":"%(t)s","logger":"gunicorn.access","method":"%(m)s","path":"%(U)s",'
    '"status":%(s)s,"bytes":"%(B)s","duration_us":%(D)s,"request_id":"%({x-request-id}o)s",'
    '"pid":"%(p)s"}'
)
