"""Where the runner is: one `RunnerBackend` per process, chosen by `build_backend`."""

from functions.backends.base import (
    BackendIdentity,
    ExecuteRequest,
    ExecuteResult,
    RunnerBackend,
    RunnerHealth,
    UiAssetResponse,
)
from functions.backends.factory import build_backend

__all__ = [
    "BackendIdentity",
    "ExecuteRequest",
    "ExecuteResult",
    "RunnerBackend",
    "RunnerHealth",
    "UiAssetResponse",
    "build_backend",
]
