"""Extension bundles: manifest, deterministic packing, stores, safe cached extraction."""

from runner.bundles.cache import BundleCache, ExtractedBundle
from runner.bundles.content_hash import format_content_hash, parse_content_hash
from runner.bundles.errors import BundleError, ManifestError, UnsafeArchive
from runner.bundles.manifest import Manifest, load_manifest, parse_manifest
from runner.bundles.pack import PackedBundle, pack_bundle
from runner.bundles.store import BundleStore, build_bundle_store, object_path

__all__ = [
    "BundleCache",
    "BundleError",
    "BundleStore",
    "ExtractedBundle",
    "Manifest",
    "ManifestError",
    "PackedBundle",
    "UnsafeArchive",
    "build_bundle_store",
    "format_content_hash",
    "load_manifest",
    "object_path",
    "pack_bundle",
    "parse_content_hash",
    "parse_manifest",
]
