"""Shot codes: numbered in tens, never renumbered; an insert takes the midpoint, then a letter.

``0010, 0020, 0030`` for shots added in order; a shot inserted between 0010 and 0020 becomes
``0015``; between 0010 and 0011 (no whole number left) it becomes ``0010A``, then ``0010B``.
Codes are unique within a sequence and stay with their shot whatever the order becomes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from previz.core.errors import InvalidInput

_CODE_RE = re.compile(r"^(\d{1,6})([A-Z]*)$")
STEP = 10


def parse_code(code: str) -> tuple[int, str]:
    m = _CODE_RE.match(code.strip().upper())
    if not m:
        raise InvalidInput(
            f"shot code {code!r} is not valid; use digits with an optional letter suffix, e.g. 0010 "
            "or 0015A"
        )
    return int(m.group(1)), m.group(2)


def format_code(number: int, suffix: str = "") -> str:
    return f"{number:04d}{suffix}"


def _suffix_between(low: str, high: str | None) -> str | None:
    """A letter suffix sorting strictly after ``low`` and before ``high`` (None: unbounded)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    trials = []
    if low:
        trials += [low[:-1] + ch for ch in letters if ch > low[-1]]
    else:
        trials += list(letters)
    trials.append(low + "A")
    for trial in trials:
        if trial > low and (high is None or trial < high):
            return trial
    return None


def code_between(before: str | None, after: str | None, existing: Iterable[str]) -> str:
    """The code for a shot placed between ``before`` and ``after`` (either may be None)."""
    taken = {c.upper() for c in existing}
    if before is None and after is None:
        code = format_code(STEP)
    elif after is None:
        num, _ = parse_code(before)  # type: ignore[arg-type]
        code = format_code((num // STEP + 1) * STEP)
    elif before is None:
        num, suf = parse_code(after)
        if num >= 2:
            code = format_code(num // 2)
        else:
            code = format_code(0, _suffix_between("", None) or "A")
    else:
        bn, bs = parse_code(before)
        an, as_ = parse_code(after)
        if (an, as_) <= (bn, bs):
            # Out-of-order codes (after a move): number past the highest code instead.
            highest = max((parse_code(c) for c in taken), default=(0, ""))
            code = format_code((highest[0] // STEP + 1) * STEP)
        elif an - bn >= 2:
            code = format_code((bn + an) // 2)
        else:
            # No whole number left: a letter after ``before`` (unbounded if none fits below).
            suffix = _suffix_between(bs, as_ if an == bn else None) or _suffix_between(bs, None)
            code = format_code(bn, suffix or "A")
    # Never hand out a code already in use (e.g. by a deleted shot that may come back on undo).
    num, suf = parse_code(code)
    while code in taken:
        suf = _suffix_between(suf, None) or suf + "A"
        code = format_code(num, suf)
    return code


def next_code(existing: Iterable[str]) -> str:
    """The code for a shot appended at the end: the next multiple of ten after the highest."""
    codes = [parse_code(c) for c in existing]
    if not codes:
        return format_code(STEP)
    return format_code((max(codes)[0] // STEP + 1) * STEP)
