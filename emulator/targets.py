"""The gateway's function targets, imported from `functions.main` — never re-implemented.

Each target is a functions-framework HTTP function taking the `flask.Request`.
The emulator calls it with the live request object, exactly as functions-framework
does in the Knative image, and turns the return value into a response the same way
(`flask.make_response`). Importing `functions.main` loads the gateway settings once;
a configuration error there prints one line and exits, as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flask

from emulator.errors import TargetUnavailableError
from functions.config import FUNCTION_TARGETS as TARGET_NAMES

Target = Callable[[flask.Request], Any]


@dataclass(frozen=True)
class Targets:
    """The targets found in `functions.main`; a missing one is `None`."""

    found: dict[str, Target | None]

    def call(self, name: str) -> flask.Response:
        target = self.found.get(name)
        if target is None:
            raise TargetUnavailableError(f"functions.main has no target {name!r}")
        return flask.make_response(target(flask.request))


def load_targets() -> Targets:
    import functions.main as main  # loads gateway settings once (may exit 2 on bad config)

    return Targets({name: getattr(main, name, None) for name in TARGET_NAMES})
