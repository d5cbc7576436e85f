"""The editorial layout of a cut: what every timeline (OTIO, EDL, FCP XML) and the reel's
timecode agree on.

``build_layout`` reads the reel's own schedule (``timing.build_schedule``), so a timeline cuts,
dissolves and fades on exactly the frames the reel does:

* Record frame 0 is the first frame of the first shot, at ``ReelOptions.timecode_start``
  (01:00:00:00; ``01:00:00;00`` when the plan is drop-frame).
* Whatever the reel shows before the first shot (head slate, the first scene card) is
  **pre-roll**: the reel's own start timecode is 01:00:00:00 minus the pre-roll, so the first
  frame of the first shot burns in 01:00:00:00 with or without a slate and cards.
* A scene card between sequences is a gap in the timelines (named after the sequence), as long
  as the card, so every later shot keeps the reel's record timecode.
* Each shot is a ``Cut``: a clip (a shot with a take) or a gap (a shot with no take: the reel's
  slate card, black in an editor), with the reel's transitions: ``dissolve_in`` (overlap with
  the previous cut) and fades (``fade_in``/``fade_out``, through black or a colour).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from previz.core.errors import InvalidInput
from previz.core.time import frames_to_timecode, is_drop_rate, timecode_to_frames

from .plan import ExportError, ReelOptions, ReelPlan, SequencePlan, ShotItem
from .timing import Fade, Schedule, build_schedule, conformed_length, round_half_up

CutKind = Literal["clip", "gap", "card"]
DAY_FRAMES_HOURS = 24


def plan_drop_frame(plan: ReelPlan, options: ReelOptions | None = None) -> bool:
    """Whether the cut counts drop-frame timecode: the plan's setting (the sequence's), or the
    burn-in option of old callers; only ever at 29.97/59.94."""
    drop = bool(plan.drop_frame) or bool(options and options.burnins and options.burnins.drop_frame)
    return drop and is_drop_rate(Fraction(plan.fps))


def timecode_label(frame: int, fps: Fraction, drop_frame: bool) -> str:
    """SMPTE label of an absolute frame count (``;`` before the frames in drop-frame)."""
    day = DAY_FRAMES_HOURS * _per_hour(fps, drop_frame)
    return frames_to_timecode(frame % day, Fraction(fps), drop_frame=drop_frame)


def timecode_frames(tc: str, fps: Fraction, drop_frame: bool) -> int:
    """Absolute frame count of a timecode label (read as drop-frame when ``drop_frame``)."""
    try:
        return timecode_to_frames(tc, Fraction(fps), drop_frame=drop_frame)
    except InvalidInput as exc:
        raise ExportError(f"start timecode {tc!r}: {exc}") from None


def _per_hour(fps: Fraction, drop_frame: bool) -> int:
    from previz.core.time import frames_per_hour

    return frames_per_hour(Fraction(fps), drop_frame=drop_frame)


@dataclass(frozen=True)
class Cut:
    """One element of the editorial timeline, in record frames at the reel rate."""

    kind: CutKind
    start: int  # record frame (0 = the timeline start, 01:00:00:00)
    length: int
    name: str
    sequence: SequencePlan
    seq_index: int
    item: ShotItem | None = None  # None for a scene card
    item_index: int = -1
    dissolve_in: int = 0  # frames overlapping the previous cut (a dissolve)
    fade_in: Fade | None = None  # up from black / a colour over the first frames
    fade_out: Fade | None = None  # down to black / a colour over the last frames

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def is_clip(self) -> bool:
        return self.kind == "clip"

    @property
    def src_rate(self) -> Fraction:
        assert self.item is not None
        return Fraction(self.item.source_fps)

    @property
    def src_in(self) -> int:
        """First trimmed source frame (at the take's rate)."""
        return self.item.trim_range[0] if self.item is not None and self.item.has_take else 0

    @property
    def src_frames(self) -> int:
        if self.item is None or not self.item.has_take:
            return 0
        t_in, t_out = self.item.trim_range
        return t_out - t_in


@dataclass(frozen=True)
class Layout:
    fps: Fraction
    drop_frame: bool
    start: int  # absolute frame of record frame 0 (01:00:00:00)
    preroll: int  # reel frames before the first shot (slate, first scene card)
    cuts: tuple[Cut, ...]
    frames: int  # record length (the reel minus its pre-roll)

    @property
    def reel_start(self) -> int:
        """Absolute timecode frame of the reel's first frame."""
        return self.start - self.preroll

    def tc(self, record_frame: int) -> str:
        return timecode_label(self.start + record_frame, self.fps, self.drop_frame)

    def source_tc(self, frame: int) -> str:
        """A source timecode (the media files start at 00:00:00:00)."""
        return timecode_label(frame, self.fps, self.drop_frame)

    @property
    def start_tc(self) -> str:
        return self.tc(0)

    @property
    def reel_start_tc(self) -> str:
        return timecode_label(self.reel_start, self.fps, self.drop_frame)


def reel_source_frames(cut: Cut, rate: Fraction) -> tuple[int, int]:
    """``(in, length)`` of a clip's trimmed source in reel-rate frames (the reel's conform rule:
    ``in * R / S`` rounded half up, length the conformed length)."""
    s_rate = cut.src_rate
    if s_rate == rate:
        return cut.src_in, cut.length
    start = round_half_up(Fraction(cut.src_in) * rate / s_rate)
    return start, conformed_length(cut.src_frames, s_rate, rate)


def build_layout(
    plan: ReelPlan, options: ReelOptions | None = None, schedule: Schedule | None = None
) -> Layout:
    """The editorial layout of ``plan`` as the reel made with ``options`` shows it."""
    options = options or ReelOptions()
    schedule = schedule or build_schedule(plan, options)
    fps = Fraction(plan.fps)
    drop = plan_drop_frame(plan, options)
    start = timecode_frames(options.timecode_start, fps, drop)
    shots = [ev for ev in schedule.events if ev.kind == "shot"]
    preroll = shots[0].start if shots else 0
    cuts: list[Cut] = []
    for ev in schedule.events:
        if ev.start < preroll or ev.kind == "head_slate":
            continue
        assert ev.sequence is not None
        if ev.kind == "scene_card":
            seq = ev.sequence
            cuts.append(
                Cut(
                    "card",
                    ev.start - preroll,
                    ev.length,
                    f"SCENE {seq.scene}" if seq.scene else seq.name,
                    seq,
                    ev.seq_index,
                )
            )
            continue
        item = ev.item
        assert item is not None
        cuts.append(
            Cut(
                "clip" if item.has_take else "gap",
                ev.start - preroll,
                ev.length,
                item.label,
                ev.sequence,
                ev.seq_index,
                item,
                ev.item_index,
                ev.dissolve_in,
                ev.fade_in,
                ev.fade_out,
            )
        )
    return Layout(
        fps=fps,
        drop_frame=drop,
        start=start,
        preroll=preroll,
        cuts=tuple(cuts),
        frames=schedule.frames - preroll,
    )


@dataclass(frozen=True)
class Boundary:
    """The transition between two neighbouring cuts (``prev`` None at the start, ``nxt`` None
    at the end): a dissolve of ``dissolve`` frames, or a fade of the outgoing cut over its last
    ``out_frames`` and of the incoming one over its first ``in_frames`` through ``color``."""

    prev: Cut | None
    nxt: Cut | None
    dissolve: int = 0
    out_frames: int = 0
    in_frames: int = 0
    out_color: tuple[int, int, int] = (0, 0, 0)
    in_color: tuple[int, int, int] = (0, 0, 0)

    @property
    def kind(self) -> str:
        """``cut``, ``dissolve``, ``fade_black`` or ``dip_color``."""
        if self.dissolve:
            return "dissolve"
        if not (self.out_frames or self.in_frames):
            return "cut"
        colors = {
            c for c, n in ((self.out_color, self.out_frames), (self.in_color, self.in_frames)) if n
        }
        return "fade_black" if colors == {(0, 0, 0)} else "dip_color"

    @property
    def color(self) -> tuple[int, int, int]:
        return self.in_color if self.in_frames else self.out_color

    @property
    def frames(self) -> int:
        return self.dissolve or (self.out_frames + self.in_frames)


def boundaries(layout: Layout) -> list[Boundary]:
    """Every non-cut transition of the layout, in order. Fades on a gap or a card (black in an
    editor already) are dropped; a fade longer than what is left of a cut after its incoming
    transition is shortened so the two never overlap."""
    out: list[Boundary] = []
    cuts = layout.cuts
    for k in range(len(cuts) + 1):
        prev = cuts[k - 1] if k > 0 else None
        nxt = cuts[k] if k < len(cuts) else None
        dissolve = nxt.dissolve_in if nxt is not None else 0
        f_out = prev.fade_out if prev is not None and prev.is_clip else None
        f_in = nxt.fade_in if nxt is not None and nxt.is_clip else None
        out_frames = f_out.frames if f_out else 0
        if prev is not None and out_frames:
            out_frames = min(out_frames, prev.length - _head(prev))
        in_frames = f_in.frames if f_in else 0
        if dissolve and prev is not None and not (prev.is_clip or nxt.is_clip):  # type: ignore[union-attr]
            dissolve = 0  # black into black
        b = Boundary(
            prev,
            nxt,
            dissolve,
            0 if dissolve else out_frames,
            0 if dissolve else in_frames,
            f_out.color if f_out else (0, 0, 0),
            f_in.color if f_in else (0, 0, 0),
        )
        if b.kind != "cut":
            out.append(b)
    return out


def _head(cut: Cut) -> int:
    """Frames at the head of ``cut`` taken by its incoming transition."""
    if cut.dissolve_in:
        return cut.dissolve_in
    return cut.fade_in.frames if cut.fade_in is not None and cut.is_clip else 0
