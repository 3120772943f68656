"""gunicorn settings for the function image, honouring the Knative runtime contract.

    gunicorn -c python:functions.gunicorn_conf functions.wsgi:app

- Listens on ``0.0.0.0:$PORT`` (Knative sets PORT; 8080 otherwise).
- Workers and threads come from ``GUNICORN_WORKERS``/``GUNICORN_THREADS`` with fixed
  defaults (2 x 8): a pod's CPU limit, not the node's core count, bounds it, and the
  Service's ``containerConcurrency`` is set to the same product.
- On SIGTERM the master and every worker close the listening socket at once, so new
  connections are refused instead of waiting in the backlog of a draining worker
  (gunicorn's own gthread worker keeps it open until its last request ends); in-flight
  requests get ``GUNICORN_GRACEFUL_TIMEOUT_S`` (default: the gateway's runner timeout
  + 5 s) to finish, inside the pod's grace period (``timeoutSeconds``).
- ``gthread`` workers: the gateway waits on the runner (I/O), so threads are cheap
  concurrency; the worker heartbeat timeout sits above every request timeout.

Settings come from ``functions.config.load_serving_settings`` (the one module that
reads the environment); a bad value stops start-up with one line and exit code 2.
"""

from __future__ import annotations

import sys
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from functions.config import ConfigError, load_serving_settings, load_settings


class DrainingThreadWorker(ThreadWorker):
    """gthread worker that stops listening the moment SIGTERM arrives."""

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.alive:
            # Runs on the worker's main loop (not inside the signal handler).
            self.method_queue.defer(self._close_listeners)
        super().handle_exit(sig, frame)

    def _close_listeners(self) -> None:
        self.set_accept_enabled(False)
        for listener in self.sockets:
            listener.close()


try:
    _serving = load_serving_settings()
    # Validate the gateway settings in the master too: a bad value then stops the
    # server once, instead of every worker exiting 2 and being re-forked forever.
    load_settings()
except ConfigError as exc:
    print(f"config error: {exc}", file=sys.stderr)
    sys.exit(2)

bind = [f"0.0.0.0:{_serving.port}"]
worker_class = "functions.gunicorn_conf.DrainingThreadWorker"
workers = _serving.workers
threads = _serving.threads
graceful_timeout = _serving.graceful_timeout_s
timeout = _serving.worker_timeout_s
# Knative's queue-proxy keeps connections to the container open and reuses them.
keepalive = 75
proc_name = f"extgate-{_serving.function_target}"
# One JSON line per request comes from the gateway's own request logger.
accesslog = None
errorlog = "-"
loglevel = "info"
# The app is imported in each worker after fork: pooled HTTP sessions are per process.
preload_app = False
# gunicorn 27 opens a control socket under $HOME; the images run as a user without one.
control_socket_disable = True


def when_ready(server: Any) -> None:
    server.log.info(
        "serving target=%s port=%d workers=%d threads=%d graceful=%ds service=%s revision=%s",
        _serving.function_target,
        _serving.port,
        _serving.workers,
        _serving.threads,
        _serving.graceful_timeout_s,
        _serving.k_service or "-",
        _serving.k_revision or "-",
    )
