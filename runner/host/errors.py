"""The one error a host import raises: a case of the interface's WIT error variant.

Host calls never trap the guest for expected failures (denied, not found, stale
revision, disallowed host): they return the interface's error variant, so the
guest can answer its caller sensibly. `case` is the WIT case name (`denied`,
`not-allowed`, `conflict`, ...), `payload` its value when the case has one.
"""

from __future__ import annotations


class HostCallError(Exception):
    def __init__(self, case: str, payload: object = None) -> None:
        super().__init__(case if payload is None else f"{case}: {payload}")
        self.case = case
        self.payload = payload
