"""Errors that reach a person: each says what was wrong and what to do."""

from __future__ import annotations


class GaitwayError(Exception):
    """Base of every error Gaitway raises on purpose."""


class UserError(GaitwayError):
    """Bad input from a person (argument, file, setting). The CLI prints it as one line."""


class ConflictError(UserError):
    """A request the current state refuses (a fault held; a large change not yet confirmed):
    HTTP 409 on the console. ``confirmable``: asking again, confirmed, would apply it."""

    def __init__(self, message: str, *, confirmable: bool = False) -> None:
        super().__init__(message)
        self.confirmable = confirmable


class UnwalkableError(UserError):
    """Settings each within range that together the device refuses (a range of motion too
    small for the belt's speed): HTTP 422 on the console, wherever they are written."""
