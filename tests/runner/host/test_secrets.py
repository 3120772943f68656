"""Secret envelope parsing: the accepted shape, and refusal of anything else."""

from __future__ import annotations

import pytest

from runner.errors import SecretDecryptFailed
from runner.host.secrets import parse_secret_envelope


def test_values_envelope_is_read():
    secrets = parse_secret_envelope({"values": {"b": "2", "a": "1"}})
    assert secrets.get("a") == "1"
    assert secrets.get("missing") is None
    assert secrets.keys() == ["a", "b"]


def test_no_envelope_means_no_secrets():
    assert parse_secret_envelope(None).keys() == []


@pytest.mark.parametrize(
    "envelope",
    [{"ciphertext": "AAAA", "kid": "k1"}, {"values": ["a"]}, {"values": {"a": 1}}, {}],
)
def test_unreadable_envelope_fails_without_echoing_it(envelope):
    with pytest.raises(SecretDecryptFailed) as info:
        parse_secret_envelope(envelope)
    assert info.value.code == "secret_decrypt_failed"
    assert "AAAA" not in str(info.value)
