"""WSGI entry point: ``gunicorn -c python:runner.gunicorn_conf runner.wsgi:app``.

Settings are read once at import; a configuration error prints one line naming
the variable and exits with status 2 instead of a traceback. Under gunicorn the
master has already checked the same settings (``runner/gunicorn_conf.py``), so
this check matters for other WSGI servers and ``import runner.wsgi``.
"""

from __future__ import annotations

import os
import sys

from runner.app import create_app
from runner.config import ConfigError, data_dir_error, load_settings
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
    print(data_dir_error(exc), file=sys.stderr)
    raise SystemExit(2) from None
