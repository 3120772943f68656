"""The emulator's Flask app: the gateway targets plus the emulator's own pages.

`create_app` registers the route table (`emulator.routes`) top to bottom: the
gateway targets from `functions.main`, called with the live request; the status
and host pages; and either the host page at `/` or the app dev server proxy for
everything else. The WSGI app is wrapped in the request-history middleware.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask

from emulator.app_proxy import AppProxy
from emulator.error_responses import register_error_handlers
from emulator.history import RequestHistoryMiddleware
from emulator.routes import Route
from emulator.status import EmulatorContext, extensions, status
from emulator.targets import Targets

TEMPLATES = Path(__file__).with_name("templates")


def create_app(ctx: EmulatorContext, targets: Targets, echo_requests: bool = True) -> flask.Flask:
    app = flask.Flask(__name__, template_folder=str(TEMPLATES))
    app.json.sort_keys = False
    proxy = AppProxy(ctx.app_upstream) if ctx.app_upstream else None
    views = {
        "status_page": lambda **_: flask.render_template("status.html", s=status(ctx)),
        "status_json": lambda **_: _no_store(flask.jsonify(status(ctx))),
        "host_page": lambda **_: _no_store(
            flask.make_response(flask.render_template("host.html", ext=extensions(ctx)))
        ),
        "app_proxy": lambda **_: proxy.forward(flask.request),  # type: ignore[union-attr]
    }
    for index, route in enumerate(ctx.routes):
        view = (
            _target_view(targets, route) if route.is_target else views[route.handler.split(":")[1]]
        )
        for rule in route.rules:
            app.add_url_rule(
                rule,
                endpoint=f"r{index}",
                view_func=view,
                methods=list(route.methods),
                provide_automatic_options=False,
                strict_slashes=False,
            )
    register_error_handlers(app)
    app.wsgi_app = RequestHistoryMiddleware(app.wsgi_app, ctx.history, echo=echo_requests)  # type: ignore[method-assign]
    return app


def _target_view(targets: Targets, route: Route):
    def view(**_: Any) -> flask.Response:
        return targets.call(route.handler)

    return view


def _no_store(response: flask.Response) -> flask.Response:
    response.headers["Cache-Control"] = "no-store"
    return response
