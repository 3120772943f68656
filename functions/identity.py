"""Who is calling: the tenant for a request, resolved in exactly one place.

Trust assumption: the tenant header (`EXT_TENANT_HEADER`, default `x-alga-tenant`)
is only trustworthy when a proxy in front of the gateway sets it and strips any
value the client sent. `EXT_DEV_TENANT` is a fallback for local development. A
verified token replaces this resolver later without touching any route.
"""

from __future__ import annotations

from collections.abc import Mapping

from functions.config import IDENTIFIER, Settings
from functions.errors import TenantRequired


class TenantResolver:
    def __init__(self, settings: Settings) -> None:
        self._header = settings.tenant_header  # lower-cased by load_settings
        self._dev_tenant = settings.dev_tenant

    def resolve(self, headers: Mapping[str, str]) -> str:
        """The tenant id; `headers` must have lower-case names."""
        value = (headers.get(self._header) or "").strip()
        if value:
            if not IDENTIFIER.match(value):
                raise TenantRequired(f"{self._header} is not a valid tenant id")
            return value
        if self._dev_tenant:
            return self._dev_tenant
        raise TenantRequired(f"missing {self._header} header")
