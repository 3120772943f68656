"""Install secrets from the secret envelope of the execute request.

Accepted envelope (plain; the gateway or registry fills it from the install):

    {"values": {"api-key": "s3cr3t", "other": "..."}}

Values must be strings. Any other shape (for instance an encrypted envelope this
runner cannot open) fails the request with 500 `secret_decrypt_failed` before the
guest runs, rather than letting the guest believe it has no secrets. Secret values
are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping

from runner.errors import SecretDecryptFailed


class SecretValues:
    """Read-only view of one install's secrets."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def keys(self) -> list[str]:
        return sorted(self._values)


def parse_secret_envelope(envelope: Mapping[str, object] | None) -> SecretValues:
    """`SecretValues` from the envelope; `SecretDecryptFailed` for a shape we cannot read."""
    if envelope is None:
        return SecretValues({})
    values = envelope.get("values") if isinstance(envelope, Mapping) else None
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        raise SecretDecryptFailed('secret envelope must be {"values": {key: string}}')
    return SecretValues(values)
