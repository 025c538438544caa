"""Errors that reach a person: each says what was wrong and what to do."""

from __future__ import annotations


class GaitwayError(Exception):
    """Base of every error Gaitway raises on purpose."""


class UserError(GaitwayError):
    """Bad input from a person (argument, file, setting). The CLI prints it as one line."""
