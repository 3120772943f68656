"""Build ``/v1/execute`` bodies and decode their answers (contract section 1)."""

from __future__ import annotations

import base64
import json
from typing import Any


def execute_body(
    content_hash: str,
    path: str,
    *,
    method: str = "GET",
    tenant: str = "acme",
    extension: str = "sample",
    query: dict[str, str] | None = None,
    body: bytes | None = None,
    providers: list[str] | None = None,
    limits: dict[str, int | None] | None = None,
    config: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "context": {
            "request_id": None,
            "tenant_id": tenant,
            "extension_id": extension,
            "install_id": "inst_test",
            "content_hash": content_hash,
            "version_id": "1.0.0",
            "config": config if config is not None else {"greeting": "hello from tests"},
        },
        "http": {
            "method": method,
            "path": path,
            "query": query or {},
            "headers": {"content-type": "application/json"},
            "body_b64": base64.b64encode(body).decode() if body is not None else None,
        },
        "limits": limits or {"timeout_ms": 10_000, "memory_mb": 256, "fuel": None},
        "providers": providers if providers is not None else ["cap:storage.kv"],
        "secret_envelope": None,
        "user": None,
    }


def routing(tenant: str = "acme", extension: str = "sample", **extra: str) -> dict[str, str]:
    return {"x-alga-tenant": tenant, "x-alga-extension": extension, **extra}


def inner_json(outcome: dict[str, Any]) -> Any:
    """The guest's (or the runner's inner error) JSON body."""
    return json.loads(base64.b64decode(outcome["body_b64"]))
