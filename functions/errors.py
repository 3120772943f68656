"""The gateway's one exception tree. Each class carries its HTTP status and code.

    GatewayError                      500 internal_error
    ├── BadRequest                    400 bad_request
    │   └── InvalidIdempotencyKey     400 invalid_idempotency_key
    ├── TenantRequired                401 tenant_required
    ├── RouteNotFound                 404 not_found
    ├── NotInstalled                  404 not_installed
    ├── MethodNotAllowed              405 method_not_allowed  (+ Allow header)
    ├── PayloadTooLarge               413 payload_too_large
    ├── RegistryUnavailable           502 registry_unavailable
    └── RunnerError                   502 runner_error
        ├── RunnerNotConfigured       500 runner_not_configured
        ├── RunnerUnreachable         502 runner_unreachable
        ├── RunnerTimeout             504 runner_timeout
        ├── RunnerInvalidResponse     502 runner_invalid_response
        └── RunnerRejected            inner status + the runner's stable code
                                      (502 runner_auth_rejected: token refused)

Messages are written for clients: they never contain the runner's URL, tokens or
its raw error text. `detail` holds extra context for the server log only, and must
itself be free of secrets. `functions.error_responses` turns these into responses.
"""

from __future__ import annotations

import re

_STABLE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


class GatewayError(Exception):
    status = 500
    code = "internal_error"
    default_message = "the gateway failed to handle the request"

    def __init__(self, message: str | None = None, *, detail: str | None = None) -> None:
        self.message = message or self.default_message
        self.detail = detail
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """Extra response headers this error requires (e.g. `Allow`)."""
        return {}


class BadRequest(GatewayError):
    status = 400
    code = "bad_request"
    default_message = "the request is malformed"


class InvalidIdempotencyKey(BadRequest):
    code = "invalid_idempotency_key"
    default_message = "x-idempotency-key must be 1-256 visible ASCII characters"


class TenantRequired(GatewayError):
    status = 401
    code = "tenant_required"
    default_message = "no tenant could be established for this request"


class RouteNotFound(GatewayError):
    status = 404
    code = "not_found"
    default_message = "no such route"


class NotInstalled(GatewayError):
    status = 404
    code = "not_installed"
    default_message = "the extension is not installed for this tenant"


class MethodNotAllowed(GatewayError):
    status = 405
    code = "method_not_allowed"
    default_message = "method not allowed"

    def __init__(self, allowed: tuple[str, ...], message: str | None = None) -> None:
        self.allowed = allowed
        super().__init__(message or f"allowed methods: {', '.join(allowed)}")

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class PayloadTooLarge(GatewayError):
    status = 413
    code = "payload_too_large"
    default_message = "the request body exceeds the gateway limit"


class RegistryUnavailable(GatewayError):
    status = 502
    code = "registry_unavailable"
    default_message = "the install registry could not be consulted"


class RunnerError(GatewayError):
    status = 502
    code = "runner_error"
    default_message = "the extension runner failed"


class RunnerNotConfigured(RunnerError):
    status = 500
    code = "runner_not_configured"
    default_message = "the extension runner is not configured or could not be located"


class RunnerUnreachable(RunnerError):
    status = 502
    code = "runner_unreachable"
    default_message = "the extension runner could not be reached"


class RunnerTimeout(RunnerError):
    status = 504
    code = "runner_timeout"
    default_message = "the extension runner did not answer in time"


class RunnerInvalidResponse(RunnerError):
    status = 502
    code = "runner_invalid_response"
    default_message = "the extension runner sent an invalid response"


class RunnerRejected(RunnerError):
    """The runner answered with a structured error (e.g. `bundle_fetch_failed`).

    Only the stable code before the first `:` survives; the runner's free text may
    name internal hosts or paths, so it is kept out of `message`.
    """

    def __init__(self, status: int, raw_error: str) -> None:
        self.status = status if 400 <= status <= 599 else 502
        self.code = stable_code(raw_error)
        super().__init__(f"the extension runner reported {self.code}")


def stable_code(raw_error: str, fallback: str = "runner_error") -> str:
    """The machine-readable prefix of a runner error string, or `fallback`."""
    candidate = raw_error.split(":", 1)[0].strip().lower()
    return candidate if _STABLE_CODE.match(candidate) else fallback
