"""The runner's process-wide parts, built once by ``create_app``.

``RunnerRuntime`` joins the bundle cache (fetch, verify, extract), the wasm engine
(compile once per hash) and the host services (storage, secrets, fetch, logs)
behind two calls the routes need: ``prepare`` and ``execute``. Limits come from
the request within the runner's configured defaults and ceilings.
"""

from __future__ import annotations

from dataclasses import dataclass

from runner.bundles import BundleCache, ExtractedBundle, build_bundle_store
from runner.config import RunnerSettings
from runner.engine import Engine, GuestResponse, Invocation, resolve_capabilities
from runner.execute_request import ExecuteRequest
from runner.host import HostServices
from runner.idempotency import IdempotencyCache

IDEMPOTENCY_FILE = "idempotency.sqlite3"  # next to storage.sqlite3, shared by the workers
CLAIM_SLACK_S = 30.0


@dataclass
class RunnerRuntime:
    settings: RunnerSettings
    bundles: BundleCache
    engine: Engine
    host: HostServices
    idempotency: IdempotencyCache

    @classmethod
    def build(cls, settings: RunnerSettings) -> RunnerRuntime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # No request runs longer than the timeout ceiling, so a claim older than that
        # (plus the watchdog grace and slack) belongs to a dead owner; a waiter gives
        # up at the same point.
        longest_request_s = settings.max_timeout_ms / 1000 + CLAIM_SLACK_S
        return cls(
            settings=settings,
            bundles=BundleCache(settings.bundle_cache_dir, build_bundle_store(settings)),
            engine=Engine(settings.compiled_cache_dir, fuel_enabled=True),
            host=HostServices(settings.data_dir),
            idempotency=IdempotencyCache(
                settings.data_dir / IDEMPOTENCY_FILE,
                settings.idempotency_ttl_s,
                settings.idempotency_max_entries,
                claim_ttl_s=longest_request_s,
                wait_timeout_s=longest_request_s,
            ),
        )

    def prepare(self, content_hash: str) -> ExtractedBundle:
        """Fetch, extract and compile a bundle so its first request is fast."""
        bundle = self.bundles.get(content_hash)
        self.engine.prepare(bundle.content_hash, bundle.wasm_path)
        return bundle

    def execute(self, call: ExecuteRequest) -> GuestResponse:
        resolve_capabilities(call.providers)  # 400 before any fetch or compile
        bundle = self.bundles.get(call.content_hash)
        invocation = Invocation(
            request_id=call.request_id,
            tenant_id=call.tenant_id,
            extension_id=call.extension_id,
            install_id=call.install_id,
            version_id=call.version_id,
            config=call.config,
            method=call.method,
            url=call.url,
            headers=sorted(call.headers.items()),
            body=call.body,
            providers=call.providers,
            allowed_hosts=bundle.manifest.allowed_hosts,
            timeout_ms=capped(
                call.limits.timeout_ms,
                self.settings.default_timeout_ms,
                self.settings.max_timeout_ms,
            ),
            memory_mb=capped(
                call.limits.memory_mb, self.settings.default_memory_mb, self.settings.max_memory_mb
            ),
            fuel=capped(call.limits.fuel, None, self.settings.max_fuel),
            secret_envelope=call.secret_envelope,
        )
        return self.engine.execute(bundle.content_hash, bundle.wasm_path, invocation, self.host)

    def close(self) -> None:
        self.engine.close()
        self.host.close()
        self.idempotency.close()


def capped(requested: int | None, default: int | None, ceiling: int | None) -> int | None:
    """A request's limit, or the default, never above the operator's ceiling.

    The caller (the gateway) passes the install's limits; the runner's operator has
    the last word, so a larger request is lowered to the ceiling rather than refused.
    """
    value = requested or default
    if ceiling is None:
        return value
    return min(value, ceiling) if value else ceiling
