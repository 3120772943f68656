"""``extgate bundle build`` and ``extgate bundle install``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from extgate.bundle_build import build_bundle
from extgate.bundle_install import InstallRequest, install_bundle
from extgate.errors import CliError
from extgate.local_defaults import local_defaults


def register(subparsers: argparse._SubParsersAction) -> None:
    bundle = subparsers.add_parser(
        "bundle", help="build and install extension bundles", description="Extension bundles."
    )
    actions = bundle.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)

    build = actions.add_parser(
        "build",
        help="build the component and pack a .tar.zst bundle",
        description="Build DIR/app.py into DIR/dist/main.wasm with componentize-py, "
        "validate DIR/manifest.json and pack manifest.json, dist/main.wasm and ui/** "
        "into a deterministic .tar.zst. Prints the bundle path and its content hash.",
    )
    build.add_argument("dir", type=Path, metavar="DIR", help="extension source directory")
    build.add_argument(
        "-o", "--output", type=Path, help="bundle path (default DIR/dist/<name>.tar.zst)"
    )
    build.set_defaults(handler=run_build)

    install = actions.add_parser(
        "install",
        help="put a bundle in the local store and record the install",
        description="Copy BUNDLE into the local bundle store, record the install in the "
        "file registry the gateway reads, and ask the runner to precompile it. The defaults "
        "are the emulator's: $EXTGATE_STATE_DIR (default .extgate) and $RUNNER_DOCKER_PORT "
        "(default 8085).",
    )
    install.add_argument("bundle", type=Path, metavar="BUNDLE", help="a .tar.zst bundle")
    install.add_argument("--tenant", required=True, help="tenant id, e.g. acme")
    install.add_argument("--extension", required=True, help="extension id, e.g. sample")
    install.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="install config entry (repeatable)",
    )
    defaults = local_defaults()
    install.add_argument(
        "--store",
        type=Path,
        default=defaults.store_dir,
        help=f"bundle store dir (default {defaults.store_dir}: $EXTGATE_STATE_DIR/bundles)",
    )
    install.add_argument(
        "--registry",
        type=Path,
        default=defaults.registry_file,
        help=f"install registry file (default {defaults.registry_file}: "
        "$INSTALL_REGISTRY_FILE or $EXTGATE_STATE_DIR/installs.json)",
    )
    install.add_argument(
        "--runner-url",
        default=defaults.runner_url,
        help=f"runner to precompile on (default {defaults.runner_url}: "
        "$EXTGATE_RUNNER_URL or http://127.0.0.1:$RUNNER_DOCKER_PORT)",
    )
    install.add_argument(
        "--no-prepare", action="store_true", help="do not ask the runner to precompile"
    )
    install.set_defaults(handler=run_install)


def run_build(args: argparse.Namespace) -> int:
    src: Path = args.dir
    if not src.is_dir():
        raise CliError(f"{src} is not a directory")
    packed = build_bundle(src, args.output)
    print(f"bundle: {packed.path}")
    print(f"content_hash: {packed.content_hash}")
    return 0


def _parse_config(pairs: list[str]) -> dict[str, str]:
    config: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--config expects KEY=VALUE, got {pair!r}")
        config[key.strip()] = value
    return config


def run_install(args: argparse.Namespace) -> int:
    request = InstallRequest(
        bundle=args.bundle,
        tenant_id=args.tenant,
        extension_id=args.extension,
        config=_parse_config(args.config),
        store_dir=args.store,
        registry_file=args.registry,
        runner_url=None if args.no_prepare else args.runner_url,
        service_token=os.environ.get("RUNNER_SERVICE_TOKEN") or None,
    )
    result = install_bundle(request)
    print(f"installed {result.content_hash} for tenant {args.tenant}, extension {args.extension}")
    print(f"store: {result.store_path}")
    print(f"registry: {args.registry}")
    print(result.prepare_note)
    return 0
