"""WSGI entry point: ``gunicorn -c python:runner.gunicorn_conf runner.wsgi:app``.

Settings are read once at import; a configuration error prints one line naming
the variable and exits with status 2 instead of a traceback.
"""

from __future__ import annotations

import os
import sys

from runner.app import create_app
from runner.config import ConfigError, load_settings
from runner.log_format import configure_logging

try:
    settings = load_settings()
except ConfigError as exc:
    print(exc, file=sys.stderr)
    raise SystemExit(2) from None

configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
try:
    app = create_app(settings)
except OSError as exc:  # the data dir cannot be created or written
    print(
        f"config error: RUNNER_DATA_DIR is not usable ({exc.strerror}); "
        "example: RUNNER_DATA_DIR=/data",
        file=sys.stderr,
    )
    raise SystemExit(2) from None
