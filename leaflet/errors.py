"""The one exception type for problems the user can fix."""

from __future__ import annotations

import click


class LeafletError(click.ClickException):
    """Bad input or an impossible request.

    Subclassing ClickException lets the CLI print one clean line and exit non-zero,
    while library code (and the batch runner) can still catch it per item.
    """

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        #: Every problem found, for commands (like `validate`) that report them all.
        self.problems = problems or [message]
