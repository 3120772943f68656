"""Gateway configuration: the whole environment surface, read once.

`load_settings(environ)` turns the environment into a frozen `Settings`. It is the
only place in `functions/` that reads `os.environ`; everything else receives the
typed object. Invalid values fail fast with a `ConfigError` whose message names the
variable and shows an example value, so a misconfigured deployment stops at start-up
instead of answering every request with an error.

Shared settings apply to both runner backends; backend-specific ones are only
required by the backend that uses them (`RUNNER_BASE_URL` for knative,
`RUNNER_DOCKER_HOST` or Docker discovery for docker). Those requirements are checked
here and nowhere else, because gunicorn's master calls `load_settings` before it
forks: a check that only a worker made would exit the worker and be re-forked forever.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

BACKEND_KINDS = ("knative", "docker")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
# Tenant and extension ids: 1-128 characters of [A-Za-z0-9._-], alphanumeric first.
# Shared by identity and execute_core; it lives here because config imports no other
# gateway module, so importing it can never form a cycle.
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line for humans."""

    def __init__(self, variable: str, problem: str, example: str) -> None:
        self.variable = variable
        super().__init__(f"{variable} {problem}; example: {variable}={example}")


@dataclass(frozen=True)
class Settings:
    """Every gateway setting, validated. Times are seconds, sizes bytes."""

    runner_backend: str = "knative"
    runner_base_url: str | None = None
    runner_docker_host: str | None = None
    runner_docker_service: str = "extension-runner"
    runner_docker_project: str | None = None
    runner_public_base: str = "/runner"
    runner_service_token: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    connect_timeout_s: float = 3.0
    max_body_bytes: int = 10 * 1024 * 1024
    install_registry_file: Path = Path(".extgate/installs.json")
    registry_base_url: str | None = None
    registry_cache_ttl_s: float = 5.0
    tenant_header: str = "x-alga-tenant"
    dev_tenant: str | None = None
    event_replay_ttl_s: float = 600.0
    event_replay_max_entries: int = 10_000
    log_level: str = "INFO"
    version: str = "0.0.0"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the environment (default `os.environ`) into `Settings`."""
    env = EnvReader(os.environ if environ is None else environ)
    backend = env.choice("RUNNER_BACKEND", "knative", BACKEND_KINDS)
    base_url = env.url("RUNNER_BASE_URL", "http://extension-runner.extgate.svc.cluster.local")
    docker_host = env.url("RUNNER_DOCKER_HOST", "http://127.0.0.1:8085")
    if backend == "knative" and base_url is None:
        raise ConfigError(
            "RUNNER_BASE_URL",
            "is required when RUNNER_BACKEND=knative",
            "http://extension-runner.extgate.svc.cluster.local",
        )
    if backend == "docker" and docker_host is None and importlib.util.find_spec("docker") is None:
        raise ConfigError(
            "RUNNER_DOCKER_HOST",
            "is required when RUNNER_BACKEND=docker and the docker SDK is not installed",
            "http://127.0.0.1:8085",
        )
    timeout_ms = env.integer("EXT_GATEWAY_TIMEOUT_MS", 30_000, "30000", minimum=1)
    connect_ms = env.integer("EXT_GATEWAY_CONNECT_TIMEOUT_MS", 3_000, "3000", minimum=1)
    return Settings(
        runner_backend=backend,
        runner_base_url=base_url,
        runner_docker_host=docker_host,
        runner_docker_service=env.text("RUNNER_DOCKER_SERVICE", "extension-runner"),
        runner_docker_project=env.optional("RUNNER_DOCKER_PROJECT"),
        runner_public_base=env.public_base("RUNNER_PUBLIC_BASE", "/runner"),
        runner_service_token=env.optional("RUNNER_SERVICE_TOKEN"),
        timeout_s=timeout_ms / 1000,
        connect_timeout_s=min(connect_ms, timeout_ms) / 1000,
        max_body_bytes=env.integer("EXT_GATEWAY_MAX_BODY_BYTES", 10 * 1024 * 1024, "10485760"),
        install_registry_file=Path(env.text("INSTALL_REGISTRY_FILE", ".extgate/installs.json")),
        registry_base_url=env.url("REGISTRY_BASE_URL", "http://registry.extgate.svc"),
        registry_cache_ttl_s=float(env.integer("REGISTRY_CACHE_TTL_S", 5, "5", minimum=0)),
        tenant_header=env.header_name("EXT_TENANT_HEADER", "x-alga-tenant"),
        dev_tenant=env.tenant("EXT_DEV_TENANT"),
        event_replay_ttl_s=float(env.integer("EVENT_REPLAY_TTL_S", 600, "600", minimum=1)),
        event_replay_max_entries=env.integer("EVENT_REPLAY_MAX_ENTRIES", 10_000, "10000"),
        log_level=env.choice("LOG_LEVEL", "INFO", LOG_LEVELS, upper=True),
        version=_package_version(),
    )


def _package_version() -> str:
    try:
        return metadata.version("extgate")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


class EnvReader:
    """Typed accessors over an environment mapping; empty values count as unset.

    `error` builds the exception for a bad value from (variable, problem, example),
    so the emulator can read its own variables with its own error class.
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        error: Callable[[str, str, str], Exception] = ConfigError,
    ) -> None:
        self._environ = environ
        self._error = error

    def optional(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def choice(self, name: str, default: str, allowed: tuple[str, ...], upper=False) -> str:
        raw = self.optional(name)
        value = default if raw is None else (raw.upper() if upper else raw.lower())
        if value not in allowed:
            raise self._error(name, f"must be one of {', '.join(allowed)} (got {raw!r})", default)
        return value

    def integer(self, name: str, default: int, example: str, minimum: int = 1) -> int:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self._error(name, f"must be an integer (got {raw!r})", example) from None
        if value < minimum:
            raise self._error(name, f"must be >= {minimum} (got {value})", example)
        return value

    def url(self, name: str, example: str) -> str | None:
        raw = self.optional(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise self._error(name, "must be an absolute http(s) URL", example)
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise self._error(name, "has a malformed port", example) from None
        if parts.query or parts.fragment:
            raise self._error(name, "must not carry a query or fragment", example)
        return raw.rstrip("/")

    def public_base(self, name: str, default: str) -> str:
        raw = self.optional(name)
        if raw is None:
            return default
        if raw.startswith("/") or urlsplit(raw).scheme in ("http", "https"):
            return raw.rstrip("/") or "/"
        raise self._error(name, "must be a path or an absolute http(s) URL", "/runner")

    def header_name(self, name: str, default: str) -> str:
        value = self.text(name, default)
        if not _HEADER_NAME.match(value):
            raise self._error(name, "must be an HTTP header name", default)
        return value.lower()

    def tenant(self, name: str) -> str | None:
        value = self.optional(name)
        if value is not None and not IDENTIFIER.match(value):
            raise self._error(name, "must be a tenant id ([A-Za-z0-9._-], up to 128)", "dev")
        return value


# --- Production serving (gunicorn in the function image; read by gunicorn_conf/wsgi) ---

FUNCTION_TARGETS = ("execute", "ui_proxy", "health", "execute_event")


@dataclass(frozen=True)
class ServingSettings:
    """How gunicorn serves one target. Never derived from the host's CPU count:
    a Knative pod's CPU limit, not the node's cores, is what the process gets."""

    function_target: str = "execute"
    port: int = 8080
    workers: int = 2
    threads: int = 8
    graceful_timeout_s: int = 35
    worker_timeout_s: int = 45
    k_service: str | None = None
    k_revision: str | None = None


def load_serving_settings(environ: Mapping[str, str] | None = None) -> ServingSettings:
    """Read `FUNCTION_TARGET`, `PORT`, `GUNICORN_*` and the Knative `K_*` variables.

    The grace period defaults to the gateway's runner timeout plus 5 s so an
    in-flight call can finish after SIGTERM; the worker timeout sits above both.
    """
    env = EnvReader(os.environ if environ is None else environ)
    gateway_s = -(-env.integer("EXT_GATEWAY_TIMEOUT_MS", 30_000, "30000") // 1000)
    port = env.integer("PORT", 8080, "8080")
    if port > 65535:
        raise ConfigError("PORT", f"must be <= 65535 (got {port})", "8080")
    graceful = env.integer("GUNICORN_GRACEFUL_TIMEOUT_S", gateway_s + 5, str(gateway_s + 5))
    return ServingSettings(
        function_target=env.choice("FUNCTION_TARGET", "execute", FUNCTION_TARGETS),
        port=port,
        workers=env.integer("GUNICORN_WORKERS", 2, "2"),
        threads=env.integer("GUNICORN_THREADS", 8, "8"),
        graceful_timeout_s=graceful,
        worker_timeout_s=max(gateway_s, graceful) + 10,
        k_service=env.optional("K_SERVICE"),
        k_revision=env.optional("K_REVISION"),
    )
