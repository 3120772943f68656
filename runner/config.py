"""Runner settings, read once from the environment into a frozen object.

This is the only module in ``runner/`` that reads ``os.environ``. A bad value
fails start-up with one line naming the variable and an example, instead of
surfacing later as a confusing request error.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, var: str, problem: str, example: str) -> None:
        super().__init__(f"config error: {var} {problem}; example: {var}={example}")
        self.var = var


@dataclass(frozen=True)
class RunnerSettings:
    """Everything the runner process needs, validated."""

    port: int = 8080
    bundle_store_base: str = "/bundles"
    data_dir: Path = Path("/data")
    service_token: str | None = None
    default_timeout_ms: int = 5_000
    default_memory_mb: int = 256
    max_timeout_ms: int = 120_000
    max_memory_mb: int = 1024
    max_fuel: int | None = None
    ui_max_asset_bytes: int = 10 * 1024 * 1024
    ui_frame_ancestors: str | None = None
    idempotency_ttl_s: float = 600.0
    idempotency_max_entries: int = 10_000
    bundle_fetch_timeout_s: float = 30.0
    bundle_max_bytes: int = 256 * 1024 * 1024

    @property
    def bundle_store_is_http(self) -> bool:
        return self.bundle_store_base.startswith(("http://", "https://"))

    @property
    def bundle_cache_dir(self) -> Path:
        return self.data_dir / "bundles"

    @property
    def compiled_cache_dir(self) -> Path:
        return self.data_dir / "compiled"


def _int(env: Mapping[str, str], var: str, default: int | None, example: str, minimum: int = 1):
    raw = env.get(var, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(var, f"must be an integer, got {raw!r}", example) from None
    if value < minimum:
        raise ConfigError(var, f"must be >= {minimum}, got {value}", example)
    return value


def _bundle_store_base(env: Mapping[str, str]) -> str:
    var, example = "BUNDLE_STORE_BASE", "/bundles (or https://bucket.s3.example.com/extgate)"
    raw = env.get(var, "").strip()
    if not raw:
        raw = "/bundles"
    if "://" in raw:
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(var, f"must be a directory or an http(s) URL, got {raw!r}", example)
        return raw.rstrip("/")
    return str(Path(raw).expanduser().resolve())


def _frame_ancestors(env: Mapping[str, str]) -> str | None:
    """A CSP source list; ``;`` or ``,`` would let the value inject directives."""
    var = "EXT_UI_FRAME_ANCESTORS"
    raw = " ".join(env.get(var, "").split())
    if not raw:
        return None
    if any(ch in raw for ch in ';,"') or not raw.isprintable():
        raise ConfigError(
            var, "must be a space-separated CSP source list", "\"'self' http://localhost:3000\""
        )
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> RunnerSettings:
    """Build :class:`RunnerSettings` from ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    token = env.get("RUNNER_SERVICE_TOKEN", "").strip() or None
    data_dir = Path(env.get("RUNNER_DATA_DIR", "").strip() or "/data").expanduser().resolve()
    ttl = _int(env, "IDEMPOTENCY_TTL_S", 600, "600")
    return RunnerSettings(
        port=_int(env, "PORT", 8080, "8080"),
        bundle_store_base=_bundle_store_base(env),
        data_dir=data_dir,
        service_token=token,
        default_timeout_ms=_int(env, "RUNNER_DEFAULT_TIMEOUT_MS", 5_000, "5000"),
        default_memory_mb=_int(env, "RUNNER_DEFAULT_MEMORY_MB", 256, "256"),
        max_timeout_ms=_int(env, "RUNNER_MAX_TIMEOUT_MS", 120_000, "120000"),
        max_memory_mb=_int(env, "RUNNER_MAX_MEMORY_MB", 1024, "1024"),
        max_fuel=_int(env, "RUNNER_MAX_FUEL", None, "1000000000"),
        ui_max_asset_bytes=_int(env, "EXT_UI_MAX_ASSET_BYTES", 10 * 1024 * 1024, "10485760"),
        ui_frame_ancestors=_frame_ancestors(env),
        idempotency_ttl_s=float(ttl),
        idempotency_max_entries=_int(env, "IDEMPOTENCY_MAX_ENTRIES", 10_000, "10000"),
        bundle_fetch_timeout_s=_int(env, "BUNDLE_FETCH_TIMEOUT_S", 30, "30"),
        bundle_max_bytes=_int(env, "BUNDLE_MAX_BYTES", 256 * 1024 * 1024, "268435456"),
    )


def data_dir_error(exc: OSError) -> ConfigError:
    """The one-line error for a data dir that cannot be created or written."""
    return ConfigError("RUNNER_DATA_DIR", f"is not usable ({exc.strerror})", "/data")


def check_data_dir(data_dir: Path) -> None:
    """Create ``data_dir`` if needed and prove it writable, or raise :class:`ConfigError`.

    gunicorn's master calls this before forking, so an unusable directory stops the
    server once instead of every worker failing and being re-forked.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as exc:
        raise data_dir_error(exc) from None
