"""Build an extension source directory into a bundle (``bundle build`` and ``dev``).

Load and validate ``DIR/manifest.json``, compile ``DIR/app.py`` into
``DIR/dist/main.wasm`` with componentize-py, and pack the bundle. Manifest,
compiler and packing errors become one :class:`CliError` each, worded the same
for both commands.
"""

from __future__ import annotations

import sys
from pathlib import Path

from extgate.errors import CliError
from runner.bundles import BundleError, PackedBundle, load_manifest, pack_bundle


def component_path(src: Path) -> Path:
    """Where the compiled component of ``src`` lives (and is packed from)."""
    return src / "dist" / "main.wasm"


def build_bundle(src: Path, output: Path | None = None, *, rebuild: bool = True) -> PackedBundle:
    """Pack ``src`` into ``output`` (default ``src/dist/<name>.tar.zst``).

    With ``rebuild=False`` the component already in ``dist/main.wasm`` is packed
    as it is; the caller decides that it is up to date.
    """
    try:
        manifest = load_manifest(src / "manifest.json")
    except BundleError as exc:
        raise CliError(f"{src}: {exc.message}") from None
    wasm = component_path(src)
    if rebuild:
        from runner.build.componentize import BuildError, build_component

        print(
            f"building {manifest.name} {manifest.version} with componentize-py ...",
            file=sys.stderr,
        )
        try:
            build_component(src, wasm)
        except BuildError as exc:
            raise CliError(exc.message) from None
    try:
        return pack_bundle(src, wasm, output or src / "dist" / f"{manifest.name}.tar.zst")
    except BundleError as exc:
        raise CliError(exc.message) from None
