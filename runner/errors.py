"""The runner's one exception tree.

Every class carries the HTTP (or inner, for ``/v1/execute``) status and a stable
``code``. Messages must be safe to return to a client: no paths on the host, no
internal URLs, no secrets, and no code prefix: ``runner/error_responses.py``, the
one place that turns them into responses, adds the code where the contract wants
it (``"<code>: <message>"``).

    RunnerError (500 runner_error)
    ├── InvalidRequest          400 invalid_request        (HTTP level)
    ├── Unauthorized            401 unauthorized           (HTTP level)
    ├── MissingRoutingHeaders   400 missing_routing_headers
    ├── UnknownCapabilities     400 unknown_capabilities
    ├── InvalidContentHash      400 invalid_content_hash
    ├── IdempotencyKeyReused    409 idempotency_key_reused
    ├── InvalidAssetPath        400 invalid_path
    ├── AssetNotFound           404 not_found
    ├── AssetTooLarge           413 asset_too_large
    ├── BundleFetchFailed       502 bundle_fetch_failed
    ├── EngineInitFailed        500 engine_init_failed
    ├── ExecuteFailed           500 execute_failed
    ├── ExecuteTimeout          504 execute_timeout
    ├── MemoryLimitExceeded     500 memory_limit_exceeded
    ├── FuelExhausted           500 fuel_exhausted
    └── SecretDecryptFailed     500 secret_decrypt_failed
"""

from __future__ import annotations


class RunnerError(Exception):
    """Base class. ``inner`` errors of an execute call become the inner status."""

    status: int = 500
    code: str = "runner_error"
    inner: bool = True

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.code.replace("_", " ")
        super().__init__(self.message)


class InvalidRequest(RunnerError):
    status, code, inner = 400, "invalid_request", False


class Unauthorized(RunnerError):
    status, code, inner = 401, "unauthorized", False


class MissingRoutingHeaders(RunnerError):
    status, code = 400, "missing_routing_headers"


class UnknownCapabilities(RunnerError):
    status, code = 400, "unknown_capabilities"


class InvalidContentHash(RunnerError):
    status, code = 400, "invalid_content_hash"


class IdempotencyKeyReused(RunnerError):
    status, code = 409, "idempotency_key_reused"


class InvalidAssetPath(RunnerError):
    status, code = 400, "invalid_path"


class AssetNotFound(RunnerError):
    status, code = 404, "not_found"


class AssetTooLarge(RunnerError):
    status, code = 413, "asset_too_large"


class BundleFetchFailed(RunnerError):
    status, code = 502, "bundle_fetch_failed"


class EngineInitFailed(RunnerError):
    status, code = 500, "engine_init_failed"


class ExecuteFailed(RunnerError):
    status, code = 500, "execute_failed"


class ExecuteTimeout(RunnerError):
    status, code = 504, "execute_timeout"


class MemoryLimitExceeded(RunnerError):
    status, code = 500, "memory_limit_exceeded"


class FuelExhausted(RunnerError):
    status, code = 500, "fuel_exhausted"


class SecretDecryptFailed(RunnerError):
    status, code = 500, "secret_decrypt_failed"
