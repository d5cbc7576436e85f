"""Errors a user can act on.

Every error raised for a user mistake derives from :class:`PrevizError`; its message is one
plain line that says what was wrong and what to do. The CLI prints it without a traceback and
exits 1 (2 for usage errors); the GUI shows it in a dialog.
"""

from __future__ import annotations


class PrevizError(Exception):
    """A problem the user can fix; ``str(err)`` is a one-line message."""

    exit_code = 1


class UsageError(PrevizError):
    """The command line itself was wrong (exit code 2)."""

    exit_code = 2


class InvalidInput(PrevizError):
    """A value given by the user is out of range or malformed."""


class NotFound(PrevizError):
    """A shot, take, sequence or element that was named does not exist."""


class Ambiguous(UsageError):
    """A bare name matched several things; the message lists them."""


class ProjectError(PrevizError):
    """The project folder or its database cannot be used as it is."""
