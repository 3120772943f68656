"""Convert between wasmtime-py component values and plain Python values.

wasmtime-py represents a WIT record as an object whose attributes carry the WIT
field names (kebab-case, e.g. `tenant-id`), an error variant as `Variant(case,
payload)`, an option as the value or `None`, and `list<u8>` as `bytes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from wasmtime.component import Record, Variant

if TYPE_CHECKING:
    from runner.host.values import ContextData


def record(**fields: Any) -> Record:
    """A WIT record from snake_case keyword names (`tenant_id` -> field `tenant-id`)."""
    value = Record()
    for name, field_value in fields.items():
        setattr(value, name.replace("_", "-"), field_value)
    return value


def field(value: Any, name: str) -> Any:
    """Read a record field by its snake_case name."""
    return getattr(value, name.replace("_", "-"))


def headers_to_wit(headers: Iterable[tuple[str, str]]) -> list[Record]:
    return [record(name=name, value=value) for name, value in headers]


def headers_from_wit(headers: Sequence[Any]) -> list[tuple[str, str]]:
    return [(str(field(h, "name")), str(field(h, "value"))) for h in headers]


def context_to_wit(ctx: ContextData) -> Record:
    """The WIT `context` record: the guest's handler argument and `get-context`'s answer."""
    return record(
        request_id=ctx.request_id,
        tenant_id=ctx.tenant_id,
        extension_id=ctx.extension_id,
        install_id=ctx.install_id,
        version_id=ctx.version_id,
    )


def error_case(case: str, payload: Any = None) -> Variant:
    """The `err` side of a WIT `result` whose error type is a variant."""
    return Variant(case, payload)
