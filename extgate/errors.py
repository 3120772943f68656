"""CLI errors: the message is printed as ``error: <message>`` and the exit status is 1.

Anything an author can fix (missing manifest, bad WIT, compiler error, bad tenant
name, unreadable registry) is raised as :class:`CliError` with a message that says
what to fix; tracebacks are for bugs only.
"""

from __future__ import annotations


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
