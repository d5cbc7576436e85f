"""The shot-grammar words the inspector's pickers write into a prompt.

The animatic engine reads shot size, angle and camera move from the prompt's words, so the
pickers do not store anything of their own: choosing "CU" replaces whatever shot size the prompt
already names (or adds "CU, " in front), and the picker reads its state back from the prompt.
The spellings mirror what the animatic grammar understands (engine/backends/animatic/grammar.py).
"""

from __future__ import annotations

import re

# (shown name, word written into the prompt, spellings recognised in a prompt)
SHOT_SIZES: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "Extreme wide",
        "EWS",
        (
            "ews",
            "xws",
            "els",
            "extreme wide shot",
            "extreme wide",
            "extreme long shot",
            "establishing shot",
        ),
    ),
    ("Wide", "WIDE", ("wide shot", "wide", "ws", "long shot", "ls")),
    ("Medium wide", "MWS", ("medium wide shot", "medium wide", "mws", "cowboy shot")),
    ("Full", "FULL SHOT", ("full shot", "fs")),
    ("Medium", "MS", ("medium shot", "ms", "mid shot")),
    ("Medium close-up", "MCU", ("medium close-up", "medium close up", "mcu")),
    ("Close-up", "CU", ("close-up", "close up", "closeup", "cu")),
    ("Extreme close-up", "ECU", ("extreme close-up", "extreme close up", "ecu", "xcu")),
    ("Over the shoulder", "OTS", ("over-the-shoulder", "over the shoulder", "ots")),
    ("Two-shot", "TWO-SHOT", ("two-shot", "two shot")),
    ("POV", "POV", ("pov", "point of view")),
    ("Insert", "INSERT", ("insert shot", "insert")),
]

ANGLES: list[tuple[str, str, tuple[str, ...]]] = [
    ("Eye level", "eye level", ("eye level", "eye-level")),
    ("Low angle", "low angle", ("low angle", "low-angle", "worm's eye", "worms eye")),
    ("High angle", "high angle", ("high angle", "high-angle")),
    ("Overhead", "overhead", ("overhead", "bird's eye", "birds eye", "top down", "top-down")),
    ("Dutch angle", "dutch angle", ("dutch angle", "dutch tilt", "canted angle", "canted")),
]

_MOVE_SPEED = r"(?:(?:very\s+)?(?:slow|fast)\s+)?"
CAMERA_MOVES: list[tuple[str, str, tuple[str, ...]]] = [
    ("Static", "static", ("static", "locked off", "locked-off")),
    ("Push in", "slow push in", ("push in", "dolly in")),
    ("Pull out", "slow pull out", ("pull out", "dolly out", "pull back")),
    ("Pan left", "slow pan left", ("pan left",)),
    ("Pan right", "slow pan right", ("pan right",)),
    ("Tilt up", "tilt up", ("tilt up",)),
    ("Tilt down", "tilt down", ("tilt down",)),
    ("Truck left", "truck left", ("truck left", "track left", "crab left")),
    ("Truck right", "truck right", ("truck right", "track right", "crab right")),
    ("Crane up", "crane up", ("crane up", "boom up", "pedestal up")),
    ("Crane down", "crane down", ("crane down", "boom down", "pedestal down")),
    ("Zoom in", "slow zoom in", ("zoom in",)),
    ("Zoom out", "slow zoom out", ("zoom out",)),
    ("Orbit", "slow orbit", ("orbit", "arc shot", "arc")),
    ("Handheld", "handheld", ("handheld", "hand-held")),
    ("Whip pan", "whip pan", ("whip pan",)),
]


def _pattern(spellings: tuple[str, ...], speed: bool = False) -> re.Pattern[str]:
    alts = sorted(spellings, key=len, reverse=True)
    body = "|".join(re.escape(a).replace(r"\ ", r"[\s-]+") for a in alts)
    pre = _MOVE_SPEED if speed else ""
    return re.compile(rf"(?<![\w@-]){pre}(?:{body})(?![\w]|-\w)", re.IGNORECASE)


def _find(prompt: str, table: list[tuple[str, str, tuple[str, ...]]], speed: bool) -> int | None:
    """Index of the first entry of ``table`` the prompt names (earliest in the text)."""
    best: tuple[int, int] | None = None
    for i, (_, _, spellings) in enumerate(table):
        m = _pattern(spellings, speed).search(prompt)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), i)
    return None if best is None else best[1]


def _replace(
    prompt: str,
    table: list[tuple[str, str, tuple[str, ...]]],
    index: int | None,
    speed: bool,
    front: bool,
) -> str:
    """Remove every phrase of ``table`` from the prompt, then write entry ``index``'s word."""
    text = prompt
    for _, _, spellings in table:
        text = _pattern(spellings, speed).sub("", text)
    text = re.sub(r"\s*,(\s*,)+", ",", text)
    text = re.sub(r"^[\s,]+|[\s,]+$", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    if index is None:
        return text
    word = table[index][1]
    if not text:
        return word
    return f"{word}, {text}" if front else f"{text}, {word}"


def shot_size_of(prompt: str) -> int | None:
    return _find(prompt, SHOT_SIZES, False)


def with_shot_size(prompt: str, index: int | None) -> str:
    return _replace(prompt, SHOT_SIZES, index, False, True)


def angle_of(prompt: str) -> int | None:
    return _find(prompt, ANGLES, False)


def with_angle(prompt: str, index: int | None) -> str:
    return _replace(prompt, ANGLES, index, False, False)


def camera_move_of(prompt: str) -> int | None:
    return _find(prompt, CAMERA_MOVES, True)


def with_camera_move(prompt: str, index: int | None) -> str:
    return _replace(prompt, CAMERA_MOVES, index, True, False)


MENTION_RE = re.compile(r"@([A-Za-z0-9_]+)")


def with_style(prompt: str, styles: list[str], chosen: str | None) -> str:
    """Replace any @mention of a style preset with ``@chosen`` (or remove it for None)."""
    keys = {s.lower() for s in styles}
    text = MENTION_RE.sub(lambda m: "" if m.group(1).lower() in keys else m.group(0), prompt)
    text = re.sub(r"\s*,(\s*,)+", ",", text)
    text = re.sub(r"^[\s,]+|[\s,]+$", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    if chosen:
        text = f"{text}, @{chosen}" if text else f"@{chosen}"
    return text


def style_of(prompt: str, styles: list[str]) -> str | None:
    keys = {s.lower(): s for s in styles}
    for m in MENTION_RE.finditer(prompt):
        if m.group(1).lower() in keys:
            return keys[m.group(1).lower()]
    return None
