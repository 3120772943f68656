"""``extgate dev DIR [--watch]``: the extension author's loop.

Build the extension, install it into the local bundle store (the directory the
runner container mounts) and the file registry the gateway reads; with
``--watch``, poll DIR and do it again after every edit. The gateway re-reads the
registry when it changes, so the next request through the emulator uses the new
bundle; the install asks the runner to precompile it first. When only UI files or
the manifest changed, the component is not rebuilt: the last ``dist/main.wasm`` is
re-packed with the new files, which takes a fraction of a second.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from extgate.bundle_build import build_bundle, component_path
from extgate.bundle_install import InstallRequest, install_bundle
from extgate.errors import CliError
from extgate.local_defaults import local_defaults

IGNORED_DIRS = {"dist", "build", "__pycache__", "node_modules"}
CODE_SUFFIXES = (".py", ".wit")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dev",
        help="build + install an extension, and again on every edit (--watch)",
        description="Build DIR into a bundle, install it for the dev tenant into the local "
        "store and registry the emulator uses, and with --watch repeat after every change.",
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="extension source directory")
    parser.add_argument("--watch", action="store_true", help="rebuild and reinstall on changes")
    parser.add_argument("--tenant", default=os.environ.get("EXT_DEV_TENANT") or "dev")
    parser.add_argument("--extension", help="extension id (default: the manifest's name)")
    parser.add_argument("--interval", type=float, default=1.0, help="poll interval, seconds")
    parser.add_argument(
        "--runner-url",
        default=local_defaults().runner_url,
        help="runner to precompile on ($EXTGATE_RUNNER_URL or the emulator's runner port)",
    )
    parser.set_defaults(handler=run_dev)


def run_dev(args: argparse.Namespace) -> int:
    src: Path = args.dir.resolve()
    if not src.is_dir():
        raise CliError(f"{src} is not a directory")
    stamps = snapshot(src)
    build_and_install(src, args, stamps, rebuild_component=False)
    if not args.watch:
        return 0
    print(f"watching {src} (Ctrl-C to stop)", file=sys.stderr)
    while True:
        time.sleep(args.interval)
        now = snapshot(src)
        changed = [p for p in now.keys() | stamps.keys() if now.get(p) != stamps.get(p)]
        if not changed:
            continue
        stamps = now
        code_changed = any(p.endswith(CODE_SUFFIXES) for p in changed)
        print(f"changed: {', '.join(sorted(changed)[:5])}", file=sys.stderr)
        try:
            build_and_install(src, args, stamps, rebuild_component=code_changed)
        except CliError as exc:
            print(f"error: {exc.message} (waiting for the next change)", file=sys.stderr)


def build_and_install(
    src: Path, args: argparse.Namespace, stamps: dict[str, int], rebuild_component: bool
) -> str:
    """Build (or re-pack) and install ``src``; ``stamps`` is its latest :func:`snapshot`."""
    started = time.monotonic()
    rebuild = rebuild_component or _component_stale(component_path(src), stamps)
    packed = build_bundle(src, rebuild=rebuild)
    defaults = local_defaults()
    result = install_bundle(
        InstallRequest(
            bundle=packed.path,
            tenant_id=args.tenant,
            extension_id=args.extension or packed.manifest.name,
            config={},
            store_dir=defaults.store_dir,
            registry_file=defaults.registry_file,
            runner_url=args.runner_url,
            service_token=os.environ.get("RUNNER_SERVICE_TOKEN") or None,
        )
    )
    took = time.monotonic() - started
    print(f"installed {result.content_hash} in {took:.1f}s; {result.prepare_note}", file=sys.stderr)
    return result.content_hash


def _component_stale(wasm: Path, stamps: dict[str, int]) -> bool:
    """True when dist/main.wasm is missing or older than any code file in ``stamps``."""
    if not wasm.is_file():
        return True
    built = wasm.stat().st_mtime_ns
    return any(stamp > built for path, stamp in stamps.items() if path.endswith(CODE_SUFFIXES))


def snapshot(src: Path) -> dict[str, int]:
    """mtime per source file, relative path keys; build outputs and dot-files ignored."""
    stamps: dict[str, int] = {}
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in IGNORED_DIRS and not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = Path(root) / name
            try:
                stamps[str(path.relative_to(src))] = path.stat().st_mtime_ns
            except OSError:
                continue
    return stamps
