"""The one error a recording raises: what is wrong with which file or block, and what to do."""

from __future__ import annotations

from gaitway.errors import UserError


class RecordingError(UserError):
    """A recording cannot be written or read as asked (bad file, bad block, bad argument).

    A subclass of :class:`~gaitway.errors.UserError`, so the CLI prints it as one line.
    """
