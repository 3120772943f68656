"""Every variable the config modules read is listed in .env.example, with its default.

The names come from ``knative.validate.env_names`` (every ALL_CAPS string literal in a
module), the same list the manifests' env names are checked against. A variable counts
as listed when a line ``NAME=...`` or ``# NAME=...`` declares it.
"""

from __future__ import annotations

import re

import pytest

from knative.validate import env_names
from tests.knative.conftest import REPO

ENV_EXAMPLE = REPO / ".env.example"
CONFIG_MODULES = (
    "functions/config.py",
    "functions/gunicorn_conf.py",
    "runner/config.py",
    "runner/gunicorn_conf.py",
    "emulator/config.py",
)
# ALL_CAPS literals in those modules that a developer does not set.
NOT_LISTED = {
    "K_SERVICE": "set by Knative in every revision's container",
    "K_REVISION": "set by Knative in every revision's container",
    "DEBUG": "a LOG_LEVEL value",
    "INFO": "a LOG_LEVEL value (and gunicorn's log level)",
    "WARNING": "a LOG_LEVEL value",
    "ERROR": "a LOG_LEVEL value",
}
_DECLARED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def listed_names() -> set[str]:
    return set(_DECLARED.findall(ENV_EXAMPLE.read_text()))


@pytest.mark.parametrize("module", CONFIG_MODULES)
def test_every_variable_a_config_module_reads_is_in_env_example(module):
    missing = sorted(env_names(REPO / module) - NOT_LISTED.keys() - listed_names())
    assert missing == [], f"{module} reads {missing}; add them to .env.example with a default"


def test_every_exception_is_still_read_by_a_config_module():
    read = set().union(*(env_names(REPO / module) for module in CONFIG_MODULES))
    assert sorted(NOT_LISTED.keys() - read) == []
