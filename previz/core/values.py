"""Plain values the services hand out: snapshots of sequences, shots, takes and elements.

Frozen dataclasses with no behaviour that needs a database; the UI and the CLI read them, the
store builds them, and they serialise to JSON with :func:`to_json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import Any

from previz.core.time import format_rate

# Limits that protect the project from absurd input (a 100 kB prompt is a paste accident).
MAX_PROMPT_CHARS = 10_000
MAX_TEXT_CHARS = 20_000
MAX_NAME_CHARS = 200
MIN_SIZE, MAX_SIZE = 16, 8192


@dataclass(frozen=True)
class SequenceInfo:
    id: int
    name: str
    position: int
    scene: str
    fps: Fraction
    width: int
    height: int
    aspect: str
    drop_frame: bool
    shot_count: int = 0
    duration_frames: int = 0
    script_status: str = ""  # "removed": a re-import no longer found its scene in the script


@dataclass(frozen=True)
class ShotInfo:
    id: int
    sequence_id: int
    sequence_name: str
    index: int  # position among the sequence's live shots, 0-based
    code: str
    scene: str
    prompt: str
    negative_prompt: str
    duration_frames: int  # planned duration
    camera_notes: str
    notes: str
    dialogue: str
    trim_in: int
    trim_out: int | None
    selected_take_id: int | None
    selected_take_number: int | None
    take_count: int
    thumbnail: str | None  # relative to the project folder
    status: str  # empty | done | queued | generating | failed
    seed: int | None = None  # the locked seed, or None for a new one each take
    transition_kind: str = "cut"  # the cut into this shot from the previous one
    transition_frames: int = 0
    transition_color: str = ""  # dip_color's colour, "#RRGGBB"; "" = white
    engine: str = ""  # the engine new takes use; "" = the app's default
    model: str = ""  # the model (diffusers); "" = the default model
    script_status: str = ""  # "removed": its beat (or its whole scene) left the script
    priority: int = 0  # its jobs' priority, higher first (the local queue and the farm)

    @property
    def label(self) -> str:
        return f"{self.scene}/{self.code}" if self.scene else self.code


@dataclass(frozen=True)
class SegmentInfo:
    path: str  # relative to the project folder
    start: int
    end: int  # exclusive
    sha256: str

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class AudioSegmentInfo:
    """Samples ``[start, end)`` at ``rate`` a second of a lossless audio file; ``path`` "" is
    silence of that length (the silent part of a take that has sound elsewhere)."""

    path: str  # relative to the project folder; "" = silence
    start: int
    end: int  # exclusive
    rate: int  # samples a second
    sha256: str = ""

    @property
    def samples(self) -> int:
        return self.end - self.start

    @property
    def silent(self) -> bool:
        return not self.path


def audio_samples_for_frames(frames: int, rate: int, fps: Fraction) -> int:
    """Samples at ``rate`` that ``frames`` video frames at ``fps`` last (rounded half up)."""
    x = Fraction(frames) * rate / Fraction(fps)
    return int(x + Fraction(1, 2))


def slice_audio(
    audio: tuple[AudioSegmentInfo, ...], fps: Fraction, f0: int, f1: int
) -> tuple[AudioSegmentInfo, ...]:
    """The audio segments under take frames ``[f0, f1)`` (the sound of reused frames)."""
    out: list[AudioSegmentInfo] = []
    at = Fraction(0)  # seconds from the take's start to this segment
    lo, hi = Fraction(f0) / Fraction(fps), Fraction(f1) / Fraction(fps)
    for a in audio:
        end = at + Fraction(a.samples, a.rate)
        s0, s1 = max(lo, at), min(hi, end)
        if s0 < s1:
            i0 = a.start + int((s0 - at) * a.rate + Fraction(1, 2))
            i1 = a.start + int((s1 - at) * a.rate + Fraction(1, 2))
            if i1 > i0:
                out.append(AudioSegmentInfo(a.path, i0, i1, a.rate, a.sha256))
        at = end
    return tuple(out)


def join_audio(
    parts: list[tuple[int, tuple[AudioSegmentInfo, ...]]], fps: Fraction
) -> tuple[AudioSegmentInfo, ...]:
    """The sound of a take made of ``parts`` (frames, their sound) in order: a silent part
    gets silence of its length when another part has sound, so sound stays in step with
    frames; all silent gives () (a silent take)."""
    rates = [segs[0].rate for _, segs in parts if segs]
    if not rates:
        return ()
    out: list[AudioSegmentInfo] = []
    for frames, segs in parts:
        if segs:
            out.extend(segs)
        elif frames > 0:
            out.append(
                AudioSegmentInfo("", 0, audio_samples_for_frames(frames, rates[0], fps), rates[0])
            )
    return tuple(out)


@dataclass(frozen=True)
class TakeInfo:
    id: int
    uid: str
    shot_id: int
    number: int
    operation: str
    engine: str
    model: str
    prompt: str
    expanded_prompt: str
    seed: int
    width: int
    height: int
    fps: Fraction
    frame_count: int
    status: str
    rating: int
    circled: bool
    notes: str
    deleted: bool
    selected: bool
    created_at: str
    recipe: dict[str, Any]
    parents: tuple[int, ...]  # parent take ids (one for extend/remix/loop, two for a bridge)
    segments: tuple[SegmentInfo, ...] = ()
    thumbnail: str | None = None
    head: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    # the take's sound, in order, covering exactly its frames; () = a silent take
    audio: tuple[AudioSegmentInfo, ...] = ()

    @property
    def has_audio(self) -> bool:
        return any(not a.silent for a in self.audio)


@dataclass(frozen=True)
class ElementInfo:
    id: int
    name: str
    kind: str
    description: str
    image: str | None


@dataclass(frozen=True)
class JobInfo:
    id: int
    kind: str
    status: str
    shot_id: int | None
    take_id: int | None
    progress: float
    message: str
    payload: dict[str, Any] = field(default_factory=dict)
    runs_on: str = "local"  # where it runs: this machine's worker, or (later) a farm
    runner: str = ""  # the process running it (its pid), while it runs


def to_json(value: Any) -> Any:
    """JSON-ready form: snake_case keys, frames as ints, fps as a string like "24000/1001"."""
    if isinstance(value, Fraction):
        return format_rate(value)
    if hasattr(value, "__dataclass_fields__"):
        out = {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, ShotInfo):
            out["label"] = value.label
        return out
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value
