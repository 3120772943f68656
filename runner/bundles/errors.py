"""Bundle errors: all are ``bundle_fetch_failed`` (502) to an execute or ext-ui caller.

    BundleFetchFailed (runner.errors)
    └── BundleError
        ├── ManifestError          manifest.json missing or invalid
        ├── UnsafeArchive          traversal, links, devices, size/entry limits
        ├── ContentHashMismatch    archive bytes do not hash to the requested address
        ├── BundleNotFound         the store has no object at that address
        └── BundleStoreUnavailable the store could not be reached or answered an error

The CLI shows the same messages to extension authors, so they say what to fix.
"""

from __future__ import annotations

from runner.errors import BundleFetchFailed


class BundleError(BundleFetchFailed):
    """Base class of everything that makes a bundle unusable."""


class ManifestError(BundleError):
    pass


class UnsafeArchive(BundleError):
    pass


class ContentHashMismatch(BundleError):
    pass


class BundleNotFound(BundleError):
    pass


class BundleStoreUnavailable(BundleError):
    pass
