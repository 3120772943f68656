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
from tests.support.components import (  # noqa: F401 - fixtures
    misbehaving_component,
    sample_component,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "examples" / "sample-extension"
UI_RULES_DIR = Path(__file__).resolve().parent / "fixtures" / "ui_rules"


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    content_hash: str

    @property
    def hex(self) -> str:
        return self.content_hash.split(":", 1)[1]


def publish(store: Path, bundle_path: Path, hex_digest: str) -> None:
    target = store / object_path(hex_digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bundle_path, target)


@pytest.fixture(scope="session")
def bundle_store(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bundle-store")


def _publish_bundle(store: Path, src: Path, wasm: Path, out: Path) -> BuiltBundle:
    """Pack ``src`` with ``wasm`` into ``out`` and publish it to ``store``."""
    packed = pack_bundle(src, wasm, out)
    bundle = BuiltBundle(packed.path, packed.content_hash)
    publish(store, packed.path, bundle.hex)
    return bundle


@pytest.fixture(scope="session")
def sample_bundle(sample_component, bundle_store, tmp_path_factory) -> BuiltBundle:  # noqa: F811 - the fixture
    out = tmp_path_factory.mktemp("b") / "sample.tar.zst"
    return _publish_bundle(bundle_store, SAMPLE_DIR, sample_component.wasm, out)


@pytest.fixture(scope="session")
def ui_rules_bundle(sample_component, bundle_store, tmp_path_factory) -> BuiltBundle:  # noqa: F811 - the fixture
    """The real sample component with a UI made to exercise every ext-ui rule."""
    out = tmp_path_factory.mktemp("b") / "ui.tar.zst"
    return _publish_bundle(bundle_store, UI_RULES_DIR, sample_component.wasm, out)


@pytest.fixture(scope="session")
def misbehaving_bundle(misbehaving_component, bundle_store, tmp_path_factory) -> BuiltBundle:  # noqa: F811 - the fixture
    src = tmp_path_factory.mktemp("misbehaving-src")
    manifest = json.loads((UI_RULES_DIR / "manifest.json").read_text())
    (src / "manifest.json").write_text(json.dumps({**manifest, "name": "misbehaving"}))
    out = tmp_path_factory.mktemp("b") / "misbehaving.tar.zst"
    return _publish_bundle(bundle_store, src, misbehaving_component.wasm, out)


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
