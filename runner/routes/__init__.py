"""HTTP routes of the runner, one module per route family."""

from runner.routes.execute import bp as execute_bp
from runner.routes.ext_ui import bp as ext_ui_bp
from runner.routes.health import bp as health_bp
from runner.routes.prepare import bp as prepare_bp

BLUEPRINTS = (execute_bp, ext_ui_bp, health_bp, prepare_bp)
