"""Behaviour both runner backends share once the runner's base URL is known.

Subclasses only say how the base URL is found (`_resolve_base_url`) and may react
when the runner stops answering (`_forget_base_url`). Timeouts, the service token,
the wire format and the public UI URL are therefore identical for every backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from functions.backends.base import (
    BackendIdentity,
    ExecuteRequest,
    ExecuteResult,
    RunnerHealth,
    UiAssetResponse,
)
from functions.backends.runner_client import RunnerClient
from functions.config import Settings
from functions.errors import RunnerError

UI_PREFIX = "/ext-ui/"


class HttpRunnerBackend:
    kind = "http"

    def __init__(self, settings: Settings) -> None:
        self._public_base = settings.runner_public_base.rstrip("/")
        self._client = RunnerClient(settings, self._resolve_base_url, self._forget_base_url)

    def _resolve_base_url(self) -> str:
        raise NotImplementedError

    def _forget_base_url(self) -> None:
        """Called after a connection failure; discovery-based backends re-resolve."""

    def identity(self) -> BackendIdentity:
        try:
            base = strip_credentials(self._resolve_base_url())
        except RunnerError:
            base = None
        return BackendIdentity(kind=self.kind, base_url=base)

    def execute(self, request: ExecuteRequest) -> ExecuteResult:
        return self._client.execute(request)

    def fetch_ui_asset(
        self, path: str, query: str, method: str, headers: Mapping[str, str]
    ) -> UiAssetResponse:
        """Stream `GET|HEAD /ext-ui/<path>`; `path` is relative to `/ext-ui/`.

        A refused service token (401/403) raises 502 `runner_auth_rejected`, as on execute.
        """
        return self._client.stream(UI_PREFIX + path.lstrip("/"), query, method, headers)

    def ui_url(
        self, extension_id: str, content_hash: str, path: str = "", tenant: str | None = None
    ) -> str:
        """The iframe URL: `{public_base}/ext-ui/{ext}/{hash}/{path}?extensionId=..`."""
        asset = path.lstrip("/") or "index.html"
        query = {"extensionId": extension_id}
        if tenant:
            query["tenant"] = tenant
        return (
            f"{self._public_base}{UI_PREFIX}{quote(extension_id, safe='')}/"
            f"{quote(content_hash, safe=':')}/{quote(asset, safe='/')}?{urlencode(query)}"
        )

    def health(self) -> RunnerHealth:
        return self._client.health()

    def close(self) -> None:
        self._client.close()


def strip_credentials(url: str) -> str:
    """`url` without `user:password@`, safe to log and to show in /healthz."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
