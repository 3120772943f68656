"""The runner as an in-cluster Knative Service at a fixed `RUNNER_BASE_URL`."""

from __future__ import annotations

from functions.backends.http_backend import HttpRunnerBackend
from functions.config import Settings


class KnativeRunnerBackend(HttpRunnerBackend):
    """Cluster DNS already load-balances and survives revisions: no discovery."""

    kind = "knative"

    def __init__(self, settings: Settings) -> None:
        # `load_settings` already refused RUNNER_BACKEND=knative without RUNNER_BASE_URL.
        self._base_url = settings.runner_base_url or ""
        super().__init__(settings)

    def _resolve_base_url(self) -> str:
        return self._base_url
