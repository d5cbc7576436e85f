"""Plain input values for the exporters.

The export layer never reads the project database: the service layer converts a project into
these frozen dataclasses and hands them over. Everything here is pure Python (no av, no numpy)
so that building a plan is cheap and testable.

Time conventions (see ``timing.py`` for the arithmetic):

* A reel runs at one rate, ``ReelPlan.fps`` (a ``Fraction``, e.g. ``Fraction(24000, 1001)``).
* A take's frames are the concatenation of its ``segments``; ``trim_in``/``trim_out`` count take
  frames at the take's ``source_fps`` (out exclusive, ``None`` = to the end of the take).
* ``planned_frames`` (the length of the slate card shown for a shot with no take) counts frames at
  the reel rate.

Transitions (``ShotItem.transition_in`` is the transition INTO a shot from the previous shot of
the same sequence):

* ``cut``: a cut (``frames`` is ignored).
* ``dissolve`` of n frames: the last n frames of the previous shot overlap the first n frames of
  this shot, so the reel is n frames shorter than the sum of the two shots.
* ``fade_black`` / ``dip_color`` of n frames: the previous shot fades to black / ``color`` over its
  last ``n // 2`` frames and this shot fades up from it over its first ``n - n // 2`` frames; the
  reel length does not change.
* At a sequence head (the first shot of a sequence) there is no previous shot: a non-cut
  ``transition_in`` fades the shot up from black (``dip_color``: from its colour) over ``frames``.
* At a sequence tail, ``SequencePlan.transition_out`` (default: cut) fades the last shot out to
  black (``dip_color``: to its colour) over its ``frames``.
* ``ReelOptions.transition`` (if set) replaces every shot-to-shot transition inside a sequence;
  sequence heads and tails keep their own.

A dissolve longer than the material it overlaps is shortened to fit (the shortened length is
reported in ``ReelResult.warnings``); the frame count stays exact because ``expected_frame_count``
uses the same rule.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

TransitionKind = Literal["cut", "dissolve", "fade_black", "dip_color"]
FitMode = Literal["fit", "fill", "stretch"]
RetimeMode = Literal["frame", "flow"]
Codec = Literal["h264", "prores"]
Quality = Literal["draft", "standard", "high"]

TRANSITION_KINDS: tuple[str, ...] = ("cut", "dissolve", "fade_black", "dip_color")


class ExportError(Exception):
    """A user-facing export failure: a one-line message saying what was wrong and what to do."""


class ExportCancelled(ExportError):
    """The export was cancelled through its cancel event; nothing was left on disk."""

    def __init__(self, message: str = "export cancelled; no file was written") -> None:
        super().__init__(message)


def disk_full_error(path: Path | str, exc: OSError) -> ExportError | None:
    """Map ENOSPC/EDQUOT to a clear ExportError, or return None for other OS errors."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return ExportError(
            f"disk full while writing {path}; free some space (or export to another drive) "
            "and export again"
        )
    return None


@dataclass(frozen=True)
class Segment:
    """Frames ``[start, end)`` of one video file (display order, 0-based)."""

    path: Path
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class AudioSegment:
    """Samples ``[start, end)`` at ``rate`` of a lossless audio file; ``path`` None = silence.

    A take's ``audio`` segments cover exactly its frames (see ``audio.py``)."""

    path: Path | None
    start: int
    end: int
    rate: int


@dataclass(frozen=True)
class Transition:
    kind: TransitionKind = "cut"
    frames: int = 0
    color: tuple[int, int, int] = (0, 0, 0)

    @property
    def is_cut(self) -> bool:
        return self.kind == "cut" or self.frames <= 0

    @property
    def fade_color(self) -> tuple[int, int, int]:
        """The colour a fade/dip goes through (black for everything but ``dip_color``)."""
        return tuple(self.color) if self.kind == "dip_color" else (0, 0, 0)  # type: ignore[return-value]


CUT = Transition()


@dataclass(frozen=True)
class ShotItem:
    label: str  # "12A/0010"
    scene: str
    code: str
    take_number: int | None
    segments: tuple[Segment, ...]  # the selected take's frames; empty when there is no take
    source_fps: Fraction
    source_size: tuple[int, int]
    trim_in: int = 0  # take frames
    trim_out: int | None = None  # take frames, exclusive; None = end of take
    planned_frames: int = 0  # reel-rate frames; the slate card length when there is no take
    prompt: str = ""
    dialogue: str = ""
    camera: str = ""
    notes: str = ""
    recipe: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    thumbnail: Path | None = None
    transition_in: Transition = CUT
    audio: tuple[AudioSegment, ...] = ()  # the selected take's sound; () = silent

    @property
    def has_take(self) -> bool:
        return bool(self.segments)

    @property
    def take_frames(self) -> int:
        return sum(s.frames for s in self.segments)

    @property
    def trim_range(self) -> tuple[int, int]:
        """``(in, out)`` in take frames with ``trim_out=None`` resolved."""
        out = self.take_frames if self.trim_out is None else self.trim_out
        return self.trim_in, out

    @property
    def take_label(self) -> str:
        return f"T{self.take_number}" if self.take_number is not None else "NO TAKE"


@dataclass(frozen=True)
class SequencePlan:
    name: str
    scene: str
    items: tuple[ShotItem, ...]
    transition_out: Transition = CUT  # fade at the sequence tail (see module docs)


@dataclass(frozen=True)
class ReelPlan:
    project_name: str
    fps: Fraction
    width: int
    height: int
    sequences: tuple[SequencePlan, ...]
    version: str = "v001"
    drop_frame: bool = False  # drop-frame timecode (the sequence's setting; 29.97/59.94 only)
    # The project folder: provenance hashes the project files a recipe names (region masks)
    # there; None (a plan built by hand) records them without a hash.
    folder: Path | None = None

    def items(self) -> list[ShotItem]:
        return [item for seq in self.sequences for item in seq.items]


@dataclass(frozen=True)
class BurnIns:
    shot_code: bool = True
    take: bool = True
    timecode: bool = True
    dialogue: bool = True
    watermark: bool = True
    watermark_text: str = "AI-GENERATED PREVIZ"
    drop_frame: bool = False  # only at 29.97 / 59.94; ReelPlan.drop_frame is the usual switch

    @property
    def any(self) -> bool:
        return self.shot_code or self.take or self.timecode or self.dialogue or self.watermark


@dataclass(frozen=True)
class ReelOptions:
    head_slate: bool = True
    scene_cards: bool = True
    burnins: BurnIns | None = field(default_factory=BurnIns)  # None = no burn-ins
    fit: FitMode = "fit"
    matte: float | None = None  # delivery matte aspect, e.g. 2.39 or 1.85
    retime: RetimeMode = "frame"
    transition: Transition | None = None  # overrides every shot-to-shot transition
    audio: Path | None = None
    codec: Codec = "h264"
    quality: Quality = "standard"
    head_slate_seconds: Fraction = Fraction(3)
    scene_card_seconds: Fraction = Fraction(2)
    smart_render: bool = True  # copy packets instead of re-encoding when nothing needs a change
    date: str | None = None  # slate date; None = today (ISO)
    timecode_start: str = "01:00:00:00"  # of the first shot; slate and first card are pre-roll

    @property
    def has_dressing(self) -> bool:
        return (
            self.head_slate
            or self.scene_cards
            or (self.burnins is not None and self.burnins.any)
            or self.matte is not None
        )


RenderPath = Literal["smart", "encode"]


@dataclass(frozen=True)
class ReelResult:
    path: Path
    sidecar: Path
    frames: int
    fps: Fraction
    width: int
    height: int
    codec: str
    render_path: RenderPath
    smart_reason: str  # why smart render was (not) used
    has_audio: bool
    warnings: tuple[str, ...] = ()

    @property
    def duration(self) -> Fraction:
        return Fraction(self.frames) / self.fps
