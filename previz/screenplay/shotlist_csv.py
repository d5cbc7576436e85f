"""Shot lists as CSV, in the columns assistant directors and producers exchange:

``Scene, Shot, INT/EXT, Day/Night, Location, Cast, Description, Duration, Camera, Notes``

followed by the columns that make the file a faithful copy of the plan:

``Dialogue, Transition, Frames, FPS, Sequence``

Writing: UTF-8 with a byte order mark by default (so Excel shows accents and non-Latin names
right), ``Duration`` in seconds with one decimal (``4.5``; ``duration_format="timecode"`` writes
``00:00:04:12`` instead), ``Cast`` as names separated by ", ", ``Transition`` as ``cut``,
``dissolve:12f``, ``fade_black:18f`` or ``dip_color:6f``, ``Frames`` the exact planned duration
in frames at ``FPS`` (``24``, ``23.976``, ``29.97``...; a spreadsheet rounds nothing there), and
``Sequence`` the name of the shot's sequence. A text cell that starts with ``= + - @`` gets a
leading apostrophe so a spreadsheet shows it as text instead of running it as a formula, and so
does a text that is exactly the clear marker; reading removes that apostrophe again.

Clearing a field: a cell holding exactly ``[clear]`` (:data:`CLEAR`, any case, spaces around it
ignored) in Description, Dialogue, Camera, Notes or Transition empties that field (a transition
becomes a plain cut). An empty cell means "leave this field as it is", as it always has.

Reading: with or without a byte order mark; comma, semicolon or tab separated (whichever the
header uses); header names in any case, with a few common aliases (``I/E``, ``D/N``, ``Shot #``,
``Characters``, ``Length``); columns in any order, unknown columns ignored (logged), only
``Scene`` and ``Shot`` required. ``Duration`` accepts ``5``, ``5.0``, ``5s``, ``4,5``, ``120f`` and
timecode ``00:00:05:00``. When ``Frames`` is given it is the duration, exact to the frame, unless
``Duration`` was changed to something else: then the row says which one
(:attr:`ShotlistRow.frames_disagree`). A shot code that a spreadsheet turned into a number
(``10``) is padded back to four digits (``0010``). A cell is at most :data:`MAX_CELL_CHARS`
characters. Every bad value is reported with its spreadsheet row number (the header is row 1) in
one :class:`~previz.screenplay.errors.ShotlistError`.

Durations are held as whole frames at the ``fps`` given to the reader; frame counts and
timecodes written at another ``FPS`` are converted to it (exact when the rates are the same).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Literal, TextIO

from previz.screenplay.breakdown import Breakdown
from previz.screenplay.errors import ShotlistError

log = logging.getLogger(__name__)

__all__ = [
    "CLEAR",
    "COLUMNS",
    "MAX_CELL_CHARS",
    "ShotlistRow",
    "format_duration",
    "parse_duration",
    "read_shotlist",
    "rows_from_breakdown",
    "write_shotlist",
]

COLUMNS = (
    "Scene",
    "Shot",
    "INT/EXT",
    "Day/Night",
    "Location",
    "Cast",
    "Description",
    "Duration",
    "Camera",
    "Notes",
    "Dialogue",
    "Transition",
    "Frames",
    "FPS",
    "Sequence",
)
CLEAR = "[clear]"  # a cell holding exactly this empties the field
MAX_CELL_CHARS = csv.field_size_limit()  # 131072: far above any field a shot holds
_FIELDS = (
    "scene",
    "shot",
    "int_ext",
    "day_night",
    "location",
    "cast",
    "description",
    "duration_frames",
    "camera",
    "notes",
    "dialogue",
    "transition",
    "frames",
    "fps",
    "sequence",
)
_ALIASES = {
    "scene": "scene",
    "scenenumber": "scene",
    "sc": "scene",
    "shot": "shot",
    "shotnumber": "shot",
    "shotcode": "shot",
    "intext": "int_ext",
    "ie": "int_ext",
    "daynight": "day_night",
    "dn": "day_night",
    "timeofday": "day_night",
    "location": "location",
    "set": "location",
    "cast": "cast",
    "characters": "cast",
    "description": "description",
    "shotdescription": "description",
    "action": "description",
    "duration": "duration_frames",
    "length": "duration_frames",
    "camera": "camera",
    "notes": "notes",
    "dialogue": "dialogue",
    "dialog": "dialogue",
    "transition": "transition",
    "frames": "frames",
    "durationframes": "frames",
    "fps": "fps",
    "framerate": "fps",
    "sequence": "sequence",
    "sequencename": "sequence",
}
_TEXT_FIELDS = frozenset(
    {"int_ext", "day_night", "location", "description", "camera", "notes", "dialogue", "sequence"}
)
# fields a [clear] cell empties; in the other columns it is an error or (for columns the
# import does not read back) ignored
CLEARABLE = frozenset({"description", "dialogue", "camera", "notes", "transition"})
_NOT_CLEARABLE = frozenset({"scene", "shot", "duration_frames", "frames", "fps"})
TRANSITIONS = ("cut", "dissolve", "fade_black", "dip_color")
_TRANSITION_ALIASES = {"dip_colour": "dip_color", "fade_to_black": "fade_black"}
_NTSC = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}
_NTSC_TEXT = {v: k for k, v in reversed(_NTSC.items())}
_FRAMES_CELL_RE = re.compile(r"^(\d+)\s*(?:f|frames?)?$", re.I)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHOT_RE = re.compile(r"^(\d{1,6})([A-Z]*)$")
_SCENE_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]*$")
_SECONDS_RE = re.compile(r"^(\d+(?:[.,]\d+)?|[.,]\d+)\s*(?:s|sec|secs|seconds?)?$", re.I)
_FRAMES_RE = re.compile(r"^(\d+)\s*f(?:rames?)?$", re.I)
_TIMECODE_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2}):(\d{2,3})$")
_INT_EXT = {
    "INT": "INT",
    "EXT": "EXT",
    "EST": "EST",
    "INT/EXT": "INT/EXT",
    "EXT/INT": "INT/EXT",
    "I/E": "INT/EXT",
    "E/I": "INT/EXT",
}
_DURATION_HELP = "use seconds like 4.5 or a timecode 00:00:04:12"


@dataclass(frozen=True)
class ShotlistRow:
    """One shot. ``cast`` holds names as written in the cell; ``duration_frames`` is None when
    the cell is empty; ``transition`` is ``(kind, frames, colour)`` or None (cell empty); the
    colour is ``#RRGGBB`` for a ``dip_color`` that names one, else "".

    Read from a file: ``fps`` is the row's FPS cell (None without one); ``cleared`` names the
    fields whose cell held :data:`CLEAR`; ``duration_exact`` says the duration came from the
    Frames column; ``frames_disagree`` is the Frames cell's count when it disagrees with the
    Duration cell (``duration_frames`` then holds what Duration says), so the caller can tell
    which of the two was edited. To write: ``fps`` (default: the writer's) is the rate of
    ``duration_frames`` and of the transition's frames.
    """

    scene: str
    shot: str
    int_ext: str = ""
    day_night: str = ""
    location: str = ""
    cast: tuple[str, ...] = ()
    description: str = ""
    duration_frames: int | None = None
    camera: str = ""
    notes: str = ""
    dialogue: str = ""
    transition: tuple[str, int, str] | None = None
    sequence: str = ""
    fps: Fraction | None = field(default=None, compare=False)
    cleared: frozenset[str] = frozenset()
    duration_exact: bool = field(default=False, compare=False)
    frames_disagree: int | None = None


# --------------------------------------------------------------------------------------------
# Durations


def _rate(fps: int | Fraction | str) -> Fraction:
    rate = Fraction(str(fps)) if isinstance(fps, str | float) else Fraction(fps)
    if rate <= 0:
        raise ValueError(f"frame rate {fps!r} must be more than 0")
    return rate


def parse_rate(text: str) -> Fraction:
    """An FPS cell: ``24``, ``23.976``, ``29.97``, ``24000/1001``. Raises ``ValueError``."""
    cell = text.strip()
    try:
        if cell in _NTSC:
            rate = _NTSC[cell]
        elif "/" in cell:
            num, den = cell.split("/", 1)
            rate = Fraction(int(num), int(den))
        elif re.fullmatch(r"\d+(?:\.0+)?", cell):
            rate = Fraction(int(float(cell)))
        else:
            raise ValueError(cell)
    except (ValueError, ZeroDivisionError):
        rate = Fraction(0)
    if not 0 < rate <= 240:
        raise ValueError(f"'{text}' is not a frame rate; use e.g. 24, 23.976, 29.97 or 24000/1001")
    return rate


def format_rate(rate: Fraction) -> str:
    """``24``, ``29.97`` for 30000/1001 (what a person types), else ``num/den``."""
    if rate.denominator == 1:
        return str(rate.numerator)
    return _NTSC_TEXT.get(rate, f"{rate.numerator}/{rate.denominator}")


def _convert(frames: int, source: Fraction, target: Fraction) -> int:
    """A frame count at ``source`` fps as the nearest count at ``target`` (the same when the
    rates are equal)."""
    if source == target:
        return frames
    return max(1, round(Fraction(frames) * target / source))


def reads_as(frames: int, fps: int | Fraction | str = 24) -> set[int]:
    """The frame counts a Duration cell written for ``frames`` reads back as: the count itself
    (timecode is exact) and what its seconds, rounded to 0.1, mean (``169`` frames at 24 fps is
    written ``7.0`` and reads back as ``168``; ``1`` frame is written ``0.0``)."""
    found = {frames}
    try:
        found.add(parse_duration(format_duration(frames, fps, "seconds"), fps))
    except ValueError:  # "0.0": under a twentieth of a second
        pass
    return found


def _timecode_base(rate: Fraction) -> int:
    """Frames per timecode second: 24 for 23.976, 30 for 29.97 (non-drop-frame)."""
    return max(1, round(rate))


def parse_duration(text: str, fps: int | Fraction | str = 24) -> int:
    """A duration cell as whole frames: ``5``, ``5.0``, ``5s``, ``4,5`` (seconds, rounded to the
    nearest frame), ``120f`` (frames) or ``00:00:05:00`` (timecode, non-drop-frame).

    Raises ``ValueError`` with a message saying what to write instead.
    """
    rate = _rate(fps)
    cell = text.strip()
    m = _FRAMES_RE.match(cell)
    if m:
        frames = int(m.group(1))
    elif m := _SECONDS_RE.match(cell):
        seconds = Decimal(m.group(1).replace(",", "."))
        exact = Fraction(seconds) * rate
        frames = int(exact + Fraction(1, 2))
    elif m := _TIMECODE_RE.match(cell):
        hours, minutes, secs, ff = (int(g) for g in m.groups())
        base = _timecode_base(rate)
        if minutes >= 60 or secs >= 60:
            raise ValueError(f"'{text}' is not a valid timecode; {_DURATION_HELP}")
        if ff >= base:
            raise ValueError(
                f"'{text}' has frame {ff}, but a second has only {base} frames at {rate} fps; "
                f"{_DURATION_HELP}"
            )
        frames = ((hours * 60 + minutes) * 60 + secs) * base + ff
    else:
        raise ValueError(f"'{text}' is not a duration; {_DURATION_HELP}")
    if frames <= 0:
        raise ValueError(f"'{text}' is not longer than zero; {_DURATION_HELP}")
    return frames


def format_duration(
    frames: int,
    fps: int | Fraction | str = 24,
    style: Literal["seconds", "timecode"] = "seconds",
) -> str:
    """``108 -> "4.5"`` (seconds, one decimal, rounded half up) or ``"00:00:04:12"``."""
    rate = _rate(fps)
    if style == "timecode":
        base = _timecode_base(rate)
        secs, ff = divmod(frames, base)
        minutes, secs = divmod(secs, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours:02d}:{minutes:02d}:{secs:02d}:{ff:02d}"
    if style != "seconds":
        raise ValueError(f"duration format {style!r} is not 'seconds' or 'timecode'")
    seconds = Fraction(frames) / rate
    value = Decimal(seconds.numerator) / Decimal(seconds.denominator)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------------------------
# Writing


def _protect(value: str) -> str:
    if value.startswith(_FORMULA_START) or _is_clear(value):
        return "'" + value
    return value


def _is_clear(cell: str) -> bool:
    return cell.strip().casefold() == CLEAR


_COLOR_SUFFIX = re.compile(r"(?:^|:)\s*(#[0-9A-Fa-f]{6})\s*$")


def _transition_cell(transition: tuple[str, int, str] | tuple[str, int] | None) -> str:
    if transition is None:
        return ""
    kind, frames, *rest = transition
    color = rest[0] if rest else ""
    cell = f"{kind}:{frames}f" if frames else kind
    return f"{cell}:{color}" if color else cell


def _cells(row: ShotlistRow, rate: Fraction, style: Literal["seconds", "timecode"]) -> list[str]:
    rate = row.fps or rate
    frames = row.duration_frames
    duration = "" if frames is None else format_duration(frames, rate, style)
    return [
        row.scene,
        row.shot,
        _protect(row.int_ext),
        _protect(row.day_night),
        _protect(row.location),
        _protect(", ".join(row.cast)),
        _protect(row.description),
        duration,
        _protect(row.camera),
        _protect(row.notes),
        _protect(row.dialogue),
        _transition_cell(row.transition),
        "" if frames is None else str(frames),
        format_rate(rate),
        _protect(row.sequence),
    ]


def write_shotlist(
    target: str | Path | TextIO,
    rows: Iterable[ShotlistRow],
    *,
    fps: int | Fraction | str = 24,
    duration_format: Literal["seconds", "timecode"] = "seconds",
    excel_bom: bool = True,
) -> None:
    """Write ``rows`` under the standard header. ``target`` is a path (written as UTF-8, with a
    byte order mark unless ``excel_bom`` is False) or an open text file (opened with
    ``newline=""``, as the csv module asks). ``fps`` is the rate of a row without its own
    ``fps``. A text that is exactly ``[clear]`` is written as ``'[clear]`` so that reading the
    file back keeps it as text instead of clearing the field (see the module docstring)."""
    rate = _rate(fps)
    if duration_format not in ("seconds", "timecode"):
        raise ValueError(f"duration format {duration_format!r} is not 'seconds' or 'timecode'")
    if isinstance(target, str | Path):
        encoding = "utf-8-sig" if excel_bom else "utf-8"
        with open(target, "w", encoding=encoding, newline="") as handle:
            _write(handle, rows, rate, duration_format)
    else:
        _write(target, rows, rate, duration_format)


def _write(
    handle: TextIO,
    rows: Iterable[ShotlistRow],
    rate: Fraction,
    style: Literal["seconds", "timecode"],
) -> None:
    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(_cells(row, rate, style))


def rows_from_breakdown(
    breakdown: Breakdown, *, first_code: int = 10, step: int = 10
) -> list[ShotlistRow]:
    """The shot list of a fresh import: one row per beat, shot codes 0010, 0020... restarting in
    each scene, cast as the script writes the names, the dialogue in Dialogue."""
    display = {c.name: c.display_name for c in breakdown.characters}
    rows: list[ShotlistRow] = []
    for scene in breakdown.scenes:
        for index, beat in enumerate(scene.beats):
            rows.append(
                ShotlistRow(
                    scene=scene.number,
                    shot=f"{first_code + index * step:04d}",
                    int_ext=scene.int_ext,
                    day_night=scene.time_of_day,
                    location=scene.location,
                    cast=tuple(display.get(name, name) for name in beat.characters),
                    description=beat.action_text or beat.caption.replace("\n", " / "),
                    duration_frames=beat.estimated_frames,
                    dialogue=beat.caption,
                    sequence=scene.name,
                )
            )
    return rows


# --------------------------------------------------------------------------------------------
# Reading


def _header_key(cell: str) -> str:
    return re.sub(r"[^a-z]", "", cell.casefold().replace("#", "number").replace("no.", "number"))


def _unprotect(value: str) -> str:
    if value.startswith("'") and (value[1:].startswith(_FORMULA_START) or _is_clear(value[1:])):
        return value[1:]
    return value


def _load_text(source: str | Path | TextIO) -> tuple[str, str]:
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ShotlistError([f"cannot read {path}: {exc.strerror or exc}"]) from exc
        try:
            return data.decode("utf-8-sig"), str(path)
        except UnicodeDecodeError as exc:
            raise ShotlistError(
                [
                    f"{path} is not UTF-8 text; in Excel use Save As > 'CSV UTF-8 (Comma "
                    "delimited)' and import it again"
                ]
            ) from exc
    return source.read().lstrip("\ufeff"), getattr(source, "name", "shot list")


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str) -> list[list[str]]:
    """The file's rows; a cell over :data:`MAX_CELL_CHARS` (or a file the csv module cannot
    read) is a :class:`ShotlistError` naming the row, not a traceback."""
    records: list[list[str]] = []
    reader: Iterator[list[str]] = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(text)
    )
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:
        row = len(records) + 1
        if "field larger than field limit" in str(exc):
            raise ShotlistError(
                [
                    f"row {row}: a cell is longer than {MAX_CELL_CHARS:,} characters, far "
                    "more than any shot holds; shorten it (or check that its quotes are "
                    "closed)"
                ]
            ) from None
        raise ShotlistError([f"row {row}: cannot be read as CSV ({exc})"]) from None
    return records


def read_shotlist(
    source: str | Path | TextIO, *, fps: int | Fraction | str = 24
) -> list[ShotlistRow]:
    """Read a shot list CSV (see the module docstring for what is accepted). Raises
    :class:`ShotlistError` listing every bad value with its row number."""
    rate = _rate(fps)
    text, name = _load_text(source)
    records = _records(text)
    header_row = 1  # spreadsheet row numbers: the header is row 1 unless blank rows precede it
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
        header_row += 1
    if not records:
        raise ShotlistError(
            [f"{name} is empty; the first row must name the columns: {', '.join(COLUMNS)}"]
        )
    columns: dict[str, int] = {}
    problems: list[str] = []
    for index, cell in enumerate(records[0]):
        key = _ALIASES.get(_header_key(cell))
        if key is None:
            if cell.strip():
                log.info("%s: column %r is not a shot list column; ignored", name, cell)
            continue
        if key in columns:
            label = COLUMNS[_FIELDS.index(key)]
            problems.append(f"row {header_row}: two columns mean {label} ({cell!r})")
        columns[key] = index
    for required in ("scene", "shot"):
        if required not in columns:
            label = COLUMNS[_FIELDS.index(required)]
            problems.append(
                f"row {header_row}: there is no {label} column; the first row must name the "
                "columns: "
                f"{', '.join(COLUMNS)}"
            )
    if problems:
        raise ShotlistError(problems)

    rows: list[ShotlistRow] = []
    for number, record in enumerate(records[1:], start=header_row + 1):
        if not any(cell.strip() for cell in record):
            continue
        values = {
            key: (record[index].strip() if index < len(record) else "")
            for key, index in columns.items()
        }
        cleared: set[str] = set()
        for key, value in values.items():
            if not _is_clear(value):
                continue
            if key in CLEARABLE:
                cleared.add(key)
            elif key in _NOT_CLEARABLE:
                label = COLUMNS[_FIELDS.index(key)]
                problems.append(
                    f"row {number}: {label} cannot be cleared; give a value or leave the cell "
                    "empty to keep it"
                )
            values[key] = ""  # INT/EXT, Location, Cast...: not read back into a shot
        for key in _TEXT_FIELDS & values.keys():
            values[key] = _unprotect(values[key])
        row, row_problems = _row(number, values, rate, frozenset(cleared))
        problems += row_problems
        if row is not None:
            rows.append(row)
    if problems:
        raise ShotlistError(problems)
    return rows


def _cell_frames(text: str, own: Fraction, target: Fraction) -> int:
    """A duration cell as frames at ``target``: seconds are read at ``target``, frame counts
    and timecode at the row's own rate and converted. Raises ``ValueError``."""
    if _SECONDS_RE.match(text.strip()):
        return parse_duration(text, target)
    return _convert(parse_duration(text, own), own, target)


def _row(
    number: int, values: dict[str, str], rate: Fraction, cleared: frozenset[str]
) -> tuple[ShotlistRow | None, list[str]]:
    problems: list[str] = []
    scene = values["scene"].upper()
    if not scene:
        problems.append(f"row {number}: Scene is empty; give the scene number, e.g. 12 or 12A")
    elif not _SCENE_RE.match(scene):
        problems.append(
            f"row {number}: Scene '{values['scene']}' is not a scene number; use e.g. 12 or 12A"
        )
    shot = values["shot"].upper()
    m = _SHOT_RE.match(shot)
    if not shot:
        problems.append(f"row {number}: Shot is empty; give the shot code, e.g. 0010")
    elif not m:
        problems.append(
            f"row {number}: Shot '{values['shot']}' is not a shot code; use digits with an "
            "optional letter, e.g. 0010 or 0015A"
        )
    else:
        shot = f"{int(m.group(1)):04d}{m.group(2)}" if len(m.group(1)) < 4 else shot
    raw_ie = values.get("int_ext", "")
    int_ext = _INT_EXT.get(re.sub(r"[\s.]", "", raw_ie.upper()), None) if raw_ie else ""
    if int_ext is None:
        problems.append(
            f"row {number}: INT/EXT '{raw_ie}' is not one of INT, EXT, INT/EXT, EST "
            "(or leave it empty)"
        )
    row_fps: Fraction | None = None
    if raw_fps := values.get("fps", ""):
        try:
            row_fps = parse_rate(raw_fps)
        except ValueError as exc:
            problems.append(f"row {number}: FPS {exc}")
    own = row_fps or rate
    duration: int | None = None
    raw_duration = values.get("duration_frames", "")
    if raw_duration:
        try:
            duration = _cell_frames(raw_duration, own, rate)
        except ValueError as exc:
            problems.append(f"row {number}: Duration {exc}")
    frames: int | None = None
    raw_frames = values.get("frames", "")
    if raw_frames:
        fm = _FRAMES_CELL_RE.match(raw_frames)
        if fm is None or int(fm.group(1)) <= 0:
            problems.append(
                f"row {number}: Frames '{raw_frames}' is not a frame count; give a whole "
                "number of frames above 0, e.g. 37 (or leave it empty)"
            )
        else:
            frames = int(fm.group(1))
    transition: tuple[str, int, str] | None = None
    raw_transition = values.get("transition", "")
    if "transition" in cleared:
        transition = ("cut", 0, "")
    elif raw_transition:
        kind_text, _, length = raw_transition.partition(":")
        kind = re.sub(r"[\s\-]+", "_", kind_text.strip().casefold())
        kind = _TRANSITION_ALIASES.get(kind, kind)
        color = ""
        if m := _COLOR_SUFFIX.search(length):  # dip_color:12f:#FF8000
            length, color = length[: m.start()], m.group(1).upper()
        length = length.strip()
        if kind not in TRANSITIONS:
            problems.append(
                f"row {number}: Transition '{raw_transition}' is not one of "
                f"{', '.join(TRANSITIONS)}; write e.g. cut or dissolve:12f"
            )
        elif color and kind != "dip_color":
            problems.append(
                f"row {number}: Transition '{raw_transition}': only dip_color takes a colour, "
                "e.g. dip_color:12f:#FFFFFF"
            )
        elif not length or re.fullmatch(r"0+\s*f?", length):
            transition = (kind, 0, color)
        else:
            try:
                transition = (kind, _cell_frames(length, own, rate), color)
            except ValueError as exc:
                problems.append(f"row {number}: Transition length {exc}")
    if problems:
        return None, problems

    # Frames is exact; it is the duration unless the Duration cell now says something else
    # than what was written beside it (then one of the two was edited: the caller decides).
    exact = False
    disagree: int | None = None
    if frames is not None:
        converted = _convert(frames, own, rate)
        if duration is None or _cell_frames(raw_duration, own, own) in reads_as(frames, own):
            duration, exact = converted, True
        else:
            disagree = converted
    cast = tuple(n.strip() for n in re.split(r"[,;]", values.get("cast", "")) if n.strip())
    return (
        ShotlistRow(
            scene=scene,
            shot=shot,
            int_ext=int_ext or "",
            day_night=values.get("day_night", ""),
            location=values.get("location", ""),
            cast=cast,
            description=values.get("description", ""),
            duration_frames=duration,
            camera=values.get("camera", ""),
            notes=values.get("notes", ""),
            dialogue=values.get("dialogue", ""),
            transition=transition,
            sequence=values.get("sequence", ""),
            fps=row_fps,
            cleared=cleared,
            duration_exact=exact,
            frames_disagree=disagree,
        ),
        [],
    )
