"""The one user-facing error type."""
from __future__ import annotations


class RerunError(Exception):
    """An error meant for the user: one line of what went wrong plus a hint.

    Parameters
    ----------
    message : str
        What went wrong, one line.
    hint : str, optional
        What the user can do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message
