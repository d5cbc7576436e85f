"""Scene numbers that never change once given: ``1, 2, 3``; a scene inserted later between 4 and
5 becomes ``4A`` (then ``4B``); between ``4A`` and ``4B`` it becomes ``4AA``; before scene 1 it
becomes ``A1`` (then ``B1``); after the last scene it takes the next free whole number.

The one entry point is :func:`assign_scene_numbers`: give it the scenes of a script in order,
each with the number it must keep (from the script's ``#12A#`` or from the project on a
re-import) or ``None`` for a scene that needs one, plus the numbers that are taken elsewhere (a
scene that left the script but stays, flagged, in the project keeps its number and nobody else
may take it). It fills each gap without touching any kept number.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Sequence

from previz.screenplay.errors import ScreenplayError

log = logging.getLogger(__name__)

__all__ = ["assign_scene_numbers", "scene_number_sort_key"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NUMBER_RE = re.compile(r"^([A-Z]*)(\d+)([A-Z]*)$")


def _parts(number: str) -> tuple[str, int, str] | None:
    m = _NUMBER_RE.match(number.upper())
    if not m:
        return None
    return m.group(1), int(m.group(2)), m.group(3)


def scene_number_sort_key(number: str) -> tuple[int, int, str, str, str]:
    """Script order of scene numbers: ``A1 < B1 < 1 < 1A < 1AA < 1B < 2``. Numbers of other
    shapes (``I-1-A``) sort after all of those, by their text."""
    parts = _parts(number)
    if parts is None:
        return (1, 0, "", "", number.upper())
    prefix, whole, suffix = parts
    return (0, whole, "0" + prefix if prefix else "1", suffix, "")


def _free(candidate: str, used: set[str]) -> bool:
    return candidate.upper() not in used


def _next_after(previous: str, upper: str | None, used: set[str]) -> str:
    """A free number that sorts after ``previous`` and, when possible, before ``upper``."""
    before = scene_number_sort_key(upper) if upper is not None else None

    def fits(candidate: str) -> bool:
        return _free(candidate, used) and (
            before is None or scene_number_sort_key(candidate) < before
        )

    parts = _parts(previous)
    if parts is not None:
        prefix, whole, suffix = parts
        if upper is None:  # after the last kept scene: the next free whole number
            n = whole + 1
            while not _free(str(n), used):
                n += 1
            return str(n)
        trials: list[str] = []
        if prefix and not suffix:  # A1 -> B1 -> C1 ... (still before 1)
            trials += [f"{ch}{whole}" for ch in _LETTERS if ch > prefix[-1]]
        elif suffix:  # 4A -> 4B ...
            trials += [f"{prefix}{whole}{suffix[:-1]}{ch}" for ch in _LETTERS if ch > suffix[-1]]
        trials += [f"{previous.upper()}{ch}" for ch in _LETTERS]  # 4 -> 4A, 4A -> 4AA
        for trial in trials:
            if fits(trial):
                return trial
        base = previous.upper() + "Z"
    else:
        base = previous
    # Out of room (or a number of another shape): extend with letters until one is free.
    for _ in range(1000):
        for ch in _LETTERS:
            if fits(base + ch):
                return base + ch
        base += "Z"
    raise ScreenplayError(f"no free scene number after {previous}")  # pragma: no cover


def _before(upper: str, used: set[str]) -> str:
    """A free number for a scene placed before ``upper`` (the first kept scene)."""
    parts = _parts(upper)
    key = scene_number_sort_key(upper)
    if parts is not None:
        prefix, whole, _suffix = parts
        for ch in _LETTERS:
            trial = f"{ch}{whole}"
            if _free(trial, used) and scene_number_sort_key(trial) < key:
                return trial
    for ch in _LETTERS:
        if _free(f"{ch}{upper}", used):
            return f"{ch}{upper}"
    raise ScreenplayError(f"no free scene number before {upper}")  # pragma: no cover


def assign_scene_numbers(
    numbers: Sequence[str | None], *, reserved: Collection[str] = ()
) -> list[str]:
    """Fill in the missing scene numbers of a script, in script order.

    ``numbers`` has one entry per scene: the number it keeps, or ``None``. ``reserved`` lists
    numbers that are taken although not in ``numbers`` (scenes removed from the script but still
    in the project). Kept numbers are never changed. Gaps are filled as the module docstring
    says: with nothing kept at all, ``1..N`` (skipping reserved numbers); between kept ``4`` and
    ``5`` -> ``4A, 4B``; before the first kept scene -> ``A1, B1``; after the last one -> the
    next free whole numbers.

    Raises :class:`ScreenplayError` when the same number is kept twice.
    """
    kept = [n.strip().upper() if n is not None else None for n in numbers]
    seen: dict[str, int] = {}
    for index, number in enumerate(kept):
        if number is None:
            continue
        if not number:
            raise ScreenplayError(f"scene {index + 1}: a scene number cannot be empty")
        if number in seen:
            raise ScreenplayError(
                f"scene number {number} is used twice (scenes {seen[number] + 1} and "
                f"{index + 1}); give each scene its own number"
            )
        seen[number] = index
    used = {n.upper() for n in reserved} | set(seen)
    result: list[str] = []
    if all(n is None for n in kept):
        whole = 0
        for _ in kept:
            whole += 1
            while str(whole) in used:
                whole += 1
            used.add(str(whole))
            result.append(str(whole))
        return result
    previous: str | None = None
    for index, number in enumerate(kept):
        if number is not None:
            result.append(number)
            previous = number
            continue
        upper = next((n for n in kept[index + 1 :] if n is not None), None)
        if previous is None:
            assert upper is not None  # some number is kept, and none came before
            new = _before(upper, used)
        else:
            new = _next_after(previous, upper, used)
        if upper is not None and scene_number_sort_key(new) >= scene_number_sort_key(upper):
            log.warning("scene number %s does not sort before the next scene, %s", new, upper)
        used.add(new.upper())
        result.append(new)
        previous = new
    return result
