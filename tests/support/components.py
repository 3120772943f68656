"""Real extension components for tests, built once and cached across runs.

`build_cached_component(src, name)` runs the same build as `extgate bundle build`
(componentize-py against runner/wit) and caches the result under
`build/test-components/<name>-<source hash>.wasm`; the hash covers the extension
sources, the WIT and the componentize-py version, so an edit rebuilds and a rerun
is instant. The session fixtures below (import them into a conftest) also compile
each component once into a shared engine cache, so tests that create engines
deserialize in milliseconds instead of compiling for seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from runner.build.componentize import WIT_DIR, build_component
from runner.engine import CacheStats, Engine

REPO = Path(__file__).resolve().parents[2]
SAMPLE_EXTENSION_DIR = REPO / "examples" / "sample-extension"
FIXTURE_EXTENSIONS_DIR = REPO / "tests" / "extensions"
COMPONENT_BUILD_DIR = REPO / "build" / "test-components"


@dataclass(frozen=True)
class BuiltComponent:
    """A built component and a content hash for it (sha256 of the .wasm)."""

    name: str
    wasm: Path
    content_hash: str


@dataclass(frozen=True)
class WarmEngineCache:
    """An engine cache directory holding compiled copies of the session's components.

    `first_stats` says how they got there in this session: compiled (first run after
    an edit) or loaded from an earlier run's serialized copies.
    """

    path: Path
    first_stats: CacheStats


# Build outputs inside a source tree (``make sample`` writes dist/main.wasm) are not inputs.
_BUILD_OUTPUTS = frozenset({"__pycache__", "build", "dist"})


def source_hash(src: Path) -> str:
    digest = hashlib.sha256(f"componentize-py={version('componentize-py')}".encode())
    for root in (src, WIT_DIR):
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not _BUILD_OUTPUTS.intersection(relative.parts):
                digest.update(relative.as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_cached_component(src: Path, name: str) -> BuiltComponent:
    out = COMPONENT_BUILD_DIR / f"{name}-{source_hash(src)}.wasm"
    if not out.is_file():
        build_component(src, out)
    content_hash = "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest()
    return BuiltComponent(name, out, content_hash)


@pytest.fixture(scope="session")
def sample_component() -> BuiltComponent:
    return build_cached_component(SAMPLE_EXTENSION_DIR, "sample")


@pytest.fixture(scope="session")
def misbehaving_component() -> BuiltComponent:
    return build_cached_component(FIXTURE_EXTENSIONS_DIR / "misbehaving", "misbehaving")


@pytest.fixture(scope="session")
def warm_engine_cache(tmp_path_factory, sample_component, misbehaving_component) -> WarmEngineCache:
    """Compile both components once, cold, into a fresh cache directory."""
    path = tmp_path_factory.mktemp("engine-cache")
    engine = Engine(path)
    try:
        for built in (sample_component, misbehaving_component):
            engine.prepare(built.content_hash, built.wasm)
        return WarmEngineCache(path, engine.cache_stats())
    finally:
        engine.close()


@pytest.fixture
def engine(warm_engine_cache) -> Iterator[Engine]:
    """A fresh engine (as after a restart) on the warm cache: loads, never compiles."""
    engine = Engine(warm_engine_cache.path)
    yield engine
    engine.close()
