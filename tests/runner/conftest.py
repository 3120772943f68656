"""Fixtures for the runner HTTP tests: real components, real bundles, one shared runtime.

Components are built with componentize-py once (``tests/support/components.py``,
cached under ``build/test-components`` keyed by a hash of the sources and WIT), then
packed into bundles with the same code ``extgate bundle build`` uses. One
``RunnerRuntime`` (engine + caches + host) is shared by the session so each
component is compiled once; apps with different HTTP settings reuse it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from runner.app import create_app
from runner.bundles import object_path, pack_bundle
from runner.config import RunnerSettings, load_settings
from runner.runtime import RunnerRuntime
from tests.support.components import build_cached_component

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "examples" / "sample-extension"
MISBEHAVING_DIR = REPO / "tests" / "extensions" / "misbehaving"
UI_RULES_DIR = Path(__file__).resolve().parent / "fixtures" / "ui_rules"
TENANT_HEADERS = {"x-alga-tenant": "acme", "x-alga-extension": "sample"}


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    content_hash: str

    @property
    def hex(self) -> str:
        return self.content_hash.split(":", 1)[1]


def build_cached(src: Path, name: str) -> Path:
    """The engine tests' cached build (same componentize-py build as the CLI)."""
    return build_cached_component(src, name).wasm


def publish(store: Path, bundle_path: Path, hex_digest: str) -> None:
    target = store / object_path(hex_digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundle_path, target)


@pytest.fixture(scope="session")
def bundle_store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bundle-store")


@pytest.fixture(scope="session")
def sample_wasm() -> Path:
    return build_cached(SAMPLE_DIR, "sample")


@pytest.fixture(scope="session")
def sample_bundle(sample_wasm, bundle_store, tmp_path_factory) -> BuiltBundle:
    packed = pack_bundle(SAMPLE_DIR, sample_wasm, tmp_path_factory.mktemp("b") / "sample.tar.zst")
    bundle = BuiltBundle(packed.path, packed.content_hash)
    publish(bundle_store, packed.path, bundle.hex)
    return bundle


@pytest.fixture(scope="session")
def ui_rules_bundle(sample_wasm, bundle_store, tmp_path_factory) -> BuiltBundle:
    """The real sample component with a UI made to exercise every ext-ui rule."""
    packed = pack_bundle(UI_RULES_DIR, sample_wasm, tmp_path_factory.mktemp("b") / "ui.tar.zst")
    bundle = BuiltBundle(packed.path, packed.content_hash)
    publish(bundle_store, packed.path, bundle.hex)
    return bundle


@pytest.fixture(scope="session")
def misbehaving_bundle(bundle_store, tmp_path_factory) -> BuiltBundle:
    wasm = build_cached(MISBEHAVING_DIR, "misbehaving")
    src = tmp_path_factory.mktemp("misbehaving-src")
    manifest = json.loads((UI_RULES_DIR / "manifest.json").read_text())
    (src / "manifest.json").write_text(json.dumps({**manifest, "name": "misbehaving"}))
    packed = pack_bundle(src, wasm, tmp_path_factory.mktemp("b") / "misbehaving.tar.zst")
    bundle = BuiltBundle(packed.path, packed.content_hash)
    publish(bundle_store, packed.path, bundle.hex)
    return bundle


def runner_env(bundle_store: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    return {"BUNDLE_STORE_BASE": str(bundle_store), "RUNNER_DATA_DIR": str(data_dir), **extra}


@pytest.fixture(scope="session")
def shared_runtime(bundle_store, tmp_path_factory) -> Iterator[RunnerRuntime]:
    data = tmp_path_factory.mktemp("runner-data")
    runtime = RunnerRuntime.build(load_settings(runner_env(bundle_store, data)))
    yield runtime
    runtime.close()


@pytest.fixture
def make_app(shared_runtime, bundle_store) -> Callable[..., Flask]:
    """An app on the shared runtime with extra env settings (token, UI limits, CSP)."""

    def make(**env: str) -> Flask:
        settings: RunnerSettings = load_settings(
            runner_env(bundle_store, shared_runtime.settings.data_dir, **env)
        )
        app = create_app(settings, runtime=shared_runtime)
        app.testing = True
        return app

    return make


@pytest.fixture
def client(make_app):
    return make_app().test_client()
