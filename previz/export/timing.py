"""Frame arithmetic for reels: conform, layout of cards and shots, transitions.

Pure Python (``fractions`` only), so ``expected_frame_count`` can be computed from a plan without
touching media.

Conform rule (a shot of ``N`` trimmed source frames at rate ``S`` placed on a reel at rate ``R``):

* its reel length is ``L = max(1, round_half_up(N * R / S))`` frames;
* reel frame ``i`` (``0 <= i < L``) of the shot shows source frame ``floor(i * S / R)`` of the
  trimmed range (never past ``N - 1``; exact rationals, no float drift).

With ``S == R`` this is the identity. Durations given in seconds (slates, cards) become
``round_half_up(seconds * R)`` frames.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from .plan import (
    CUT,
    ExportError,
    ReelOptions,
    ReelPlan,
    SequencePlan,
    ShotItem,
    Transition,
)


def round_half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def conformed_length(source_frames: int, source_fps: Fraction, reel_fps: Fraction) -> int:
    """Reel frames for ``source_frames`` at ``source_fps`` placed on a ``reel_fps`` reel
    (never 0 for a non-empty shot: a shot always shows at least one frame)."""
    if source_fps == reel_fps or source_frames <= 0:
        return max(0, source_frames)
    n = round_half_up(Fraction(source_frames) * Fraction(reel_fps) / Fraction(source_fps))
    return max(1, n)


def source_position(i: int, source_fps: Fraction, reel_fps: Fraction) -> Fraction:
    """Exact source position (in source frames) of reel frame ``i`` of a shot."""
    return Fraction(i) * Fraction(source_fps) / Fraction(reel_fps)


def source_index(i: int, source_frames: int, source_fps: Fraction, reel_fps: Fraction) -> int:
    """Source frame shown at reel frame ``i`` of a shot: ``floor(i * S / R)``, clamped."""
    return min(math.floor(source_position(i, source_fps, reel_fps)), source_frames - 1)


def seconds_to_frames(seconds: Fraction | int | float, fps: Fraction) -> int:
    return round_half_up(Fraction(seconds).limit_denominator(1_000_000) * Fraction(fps))


EventKind = Literal["head_slate", "scene_card", "shot"]


@dataclass(frozen=True)
class Fade:
    frames: int
    color: tuple[int, int, int]


@dataclass(frozen=True)
class ReelEvent:
    """One element laid on the reel: a card or a shot (take or slate card for a missing take)."""

    kind: EventKind
    start: int  # reel frame of the first frame (dissolve overlap already accounted for)
    length: int  # full length of the element in reel frames
    sequence: SequencePlan | None = None
    seq_index: int = -1
    item: ShotItem | None = None
    item_index: int = -1
    source_frames: int = 0  # trimmed source frames (0 for cards and slate shots)
    dissolve_in: int = 0  # frames overlapping the previous event's tail
    dissolve_out: int = 0  # frames overlapping the next event's head
    fade_in: Fade | None = None
    fade_out: Fade | None = None

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def is_take(self) -> bool:
        return self.kind == "shot" and self.item is not None and self.item.has_take


@dataclass(frozen=True)
class Schedule:
    fps: Fraction
    events: tuple[ReelEvent, ...]
    frames: int
    warnings: tuple[str, ...]

    def shots(self) -> Iterator[ReelEvent]:
        return (e for e in self.events if e.kind == "shot")

    def event_at(self, frame: int) -> ReelEvent:
        """The event that owns reel ``frame`` (inside a dissolve: the incoming event)."""
        found = None
        for ev in self.events:
            if ev.start <= frame < ev.end:
                found = ev
        if found is None:
            raise IndexError(f"frame {frame} is outside the reel (0..{self.frames - 1})")
        return found


def check_plan(plan: ReelPlan, options: ReelOptions | None = None) -> None:
    """Validate a plan; raise ExportError with a one-line, actionable message."""
    fps = Fraction(plan.fps)
    if fps <= 0:
        raise ExportError(f"reel frame rate {plan.fps} is not positive; pick a rate like 24")
    if plan.width <= 0 or plan.height <= 0 or plan.width % 2 or plan.height % 2:
        raise ExportError(
            f"reel size {plan.width}x{plan.height} must be positive and even; pick e.g. 1280x720"
        )
    if not any(seq.items for seq in plan.sequences):
        raise ExportError("the reel has no shots; add shots to the sequence(s) and export again")
    for seq in plan.sequences:
        for item in seq.items:
            _check_item(item)
        _check_transition(seq.transition_out, f"the tail of sequence {seq.name!r}")
    if options is not None:
        if options.transition is not None:
            _check_transition(options.transition, "the transition override")
        if options.fit not in ("fit", "fill", "stretch"):
            raise ExportError(f"fit mode {options.fit!r} is unknown; use fit, fill or stretch")
        if options.retime not in ("frame", "flow"):
            raise ExportError(f"retime mode {options.retime!r} is unknown; use frame or flow")
        if options.codec not in ("h264", "prores"):
            raise ExportError(f"codec {options.codec!r} is unknown; use h264 or prores")
        if options.quality not in ("draft", "standard", "high"):
            raise ExportError(
                f"quality {options.quality!r} is unknown; use draft, standard or high"
            )
        if options.matte is not None and options.matte <= 0:
            raise ExportError(f"matte {options.matte} is not a positive aspect ratio (e.g. 2.39)")
    drop = plan.drop_frame or bool(
        options is not None
        and options.burnins is not None
        and options.burnins.timecode
        and options.burnins.drop_frame
    )
    if drop and fps not in (Fraction(30000, 1001), Fraction(60000, 1001)):
        raise ExportError(
            f"drop-frame timecode needs a 29.97 or 59.94 reel, not {float(fps):.3f} fps; "
            "turn drop-frame off (previz seq edit DIR SEQ --no-drop-frame)"
        )


def _check_transition(tr: Transition, where: str) -> None:
    if tr.kind not in ("cut", "dissolve", "fade_black", "dip_color"):
        raise ExportError(
            f"transition {tr.kind!r} at {where} is unknown; use cut, dissolve, fade_black or "
            "dip_color"
        )
    if tr.frames < 0:
        raise ExportError(f"transition at {where} has a negative length ({tr.frames} frames)")


def _check_item(item: ShotItem) -> None:
    _check_transition(item.transition_in, item.label)
    if not item.has_take:
        if item.planned_frames <= 0:
            raise ExportError(
                f"{item.label} has no take and no planned duration; give it a duration or "
                "generate a take"
            )
        return
    if Fraction(item.source_fps) <= 0:
        raise ExportError(f"take {item.take_number} of {item.label} has no frame rate")
    for seg in item.segments:
        if seg.start < 0 or seg.end <= seg.start:
            raise ExportError(
                f"take {item.take_number} of {item.label} has an empty or negative segment "
                f"[{seg.start}, {seg.end}) of {seg.path}; regenerate or re-select the take"
            )
    t_in, t_out = item.trim_range
    if not (0 <= t_in < t_out <= item.take_frames):
        raise ExportError(
            f"{item.label}: trim {t_in}..{t_out} is outside take {item.take_number} "
            f"(0..{item.take_frames} frames); reset the trim"
        )


def build_schedule(plan: ReelPlan, options: ReelOptions) -> Schedule:
    """Lay out cards and shots on the reel; the single source of truth for frame counts."""
    check_plan(plan, options)
    fps = Fraction(plan.fps)
    warnings: list[str] = []
    # First pass: element lengths and raw transitions.
    raw: list[dict] = []
    if options.head_slate:
        raw.append(
            {"kind": "head_slate", "length": seconds_to_frames(options.head_slate_seconds, fps)}
        )
    for si, seq in enumerate(plan.sequences):
        if not seq.items:
            continue
        if options.scene_cards:
            raw.append(
                {
                    "kind": "scene_card",
                    "length": seconds_to_frames(options.scene_card_seconds, fps),
                    "sequence": seq,
                    "seq_index": si,
                }
            )
        for ii, item in enumerate(seq.items):
            if item.has_take:
                t_in, t_out = item.trim_range
                n = t_out - t_in
                length = conformed_length(n, Fraction(item.source_fps), fps)
            else:
                n = 0
                length = item.planned_frames
            if ii == 0:
                tr_in = item.transition_in
            else:
                tr_in = options.transition if options.transition is not None else item.transition_in
            raw.append(
                {
                    "kind": "shot",
                    "length": length,
                    "sequence": seq,
                    "seq_index": si,
                    "item": item,
                    "item_index": ii,
                    "source_frames": n,
                    "tr_in": tr_in,
                    "head": ii == 0,
                    "tail_tr": seq.transition_out if ii == len(seq.items) - 1 else CUT,
                }
            )
    # Drop zero-length cards (durations of 0 s turn a card off).
    raw = [r for r in raw if r["length"] > 0]
    # Second pass: transitions.
    for r in raw:
        r.setdefault("dissolve_in", 0)
        r.setdefault("dissolve_out", 0)
        r.setdefault("fade_in", None)
        r.setdefault("fade_out", None)
    for k, r in enumerate(raw):
        if r["kind"] != "shot":
            continue
        tr: Transition = r["tr_in"]
        label = r["item"].label
        if not tr.is_cut:
            if r["head"]:
                n = min(tr.frames, r["length"])
                r["fade_in"] = _merge_fade(r["fade_in"], Fade(n, tr.fade_color))
            else:
                prev = raw[k - 1]
                if tr.kind == "dissolve":
                    room_prev = prev["length"] - prev["dissolve_in"]
                    n = min(tr.frames, room_prev, r["length"])
                    if n < tr.frames:
                        warnings.append(
                            f"dissolve into {label} shortened from {tr.frames} to {n} frames "
                            "to fit the shots"
                        )
                    prev["dissolve_out"] = n
                    r["dissolve_in"] = n
                else:
                    n_out = min(tr.frames // 2, prev["length"])
                    n_in = min(tr.frames - tr.frames // 2, r["length"])
                    color = tr.fade_color
                    if n_out:
                        prev["fade_out"] = _merge_fade(prev["fade_out"], Fade(n_out, color))
                    if n_in:
                        r["fade_in"] = _merge_fade(r["fade_in"], Fade(n_in, color))
        tail: Transition = r["tail_tr"]
        if not tail.is_cut:
            n = min(tail.frames, r["length"])
            r["fade_out"] = _merge_fade(r["fade_out"], Fade(n, tail.fade_color))
    # Third pass: positions.
    events: list[ReelEvent] = []
    pos = 0
    for r in raw:
        start = pos - r["dissolve_in"]
        events.append(
            ReelEvent(
                kind=r["kind"],
                start=start,
                length=r["length"],
                sequence=r.get("sequence"),
                seq_index=r.get("seq_index", -1),
                item=r.get("item"),
                item_index=r.get("item_index", -1),
                source_frames=r.get("source_frames", 0),
                dissolve_in=r["dissolve_in"],
                dissolve_out=r["dissolve_out"],
                fade_in=r["fade_in"],
                fade_out=r["fade_out"],
            )
        )
        pos = start + r["length"]
    return Schedule(fps=fps, events=tuple(events), frames=pos, warnings=tuple(warnings))


def _merge_fade(old: Fade | None, new: Fade) -> Fade:
    if old is None or new.frames >= old.frames:
        return new
    return old


def expected_frame_count(plan: ReelPlan, options: ReelOptions | None = None) -> int:
    """Frames the reel will have: cards + conformed shots - dissolve overlaps."""
    return build_schedule(plan, options or ReelOptions()).frames
