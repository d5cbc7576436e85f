"""Errors raised by the screenplay package: user mistakes with a message that says what to do."""

from __future__ import annotations


class ScreenplayError(ValueError):
    """A screenplay or shot list that cannot be read as it is (the message says why and what to do)."""


class ShotlistError(ScreenplayError):
    """A shot list CSV with bad values; ``problems`` holds one line per bad cell or row."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))
