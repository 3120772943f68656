"""The runner's Flask application, composed in one function that reads top to bottom."""

from __future__ import annotations

from flask import Flask

from runner.config import RunnerSettings
from runner.error_responses import register_error_handlers
from runner.request_context import install_request_context
from runner.routes import BLUEPRINTS
from runner.runtime import RunnerRuntime
from runner.service_auth import require_service_token


def create_app(settings: RunnerSettings, runtime: RunnerRuntime | None = None) -> Flask:
    """Build the app.

    ``runtime`` (engine, caches, host services) may be shared between apps, e.g.
    tests that need different HTTP settings without recompiling components; the
    app's own ``settings`` then govern its HTTP behaviour (token, UI limits, CSP).
    """
    app = Flask("runner")
    app.url_map.merge_slashes = False  # '//x' must reach the ext-ui sanitiser, not redirect
    app.url_map.strict_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    install_request_context(app, settings, runtime or RunnerRuntime.build(settings))
    require_service_token(app, settings.service_token)
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
