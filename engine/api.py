"""The generation engine API: requests, capabilities, validation, progress, cancel, results.

Everything here is pure Python (plus numpy for preview images): importing this module is cheap
and pulls in no video, imaging or machine-learning library.

One frozen request type per operation, all sharing the common fields of `GenerationRequest`:

- `TextToVideo`      a shot from a prompt.
- `ImageToVideo`     stills pinned at frame positions (first, last, keyframes between).
- `Extend`           only the NEW frames before (backward) or after (forward) an existing take;
                     conditioned on its lossless head/tail PNGs. The app composes the longer take.
- `Bridge`           the frames between the end of take A and the start of take B.
- `Remix`            video to video: the source take restyled by a new prompt.
- `Loop`             a shot whose last frame leads back into its first; with a `source`, the new
                     frames lead from the source's last frame back to its first (source + new
                     frames play as a seamless loop).
- `Inpaint`          a region edit: inside a mask (still or keyframed), the source take's frames
                     replaced by what the prompt says; outside it (dilated by the feather) the
                     source's frames as they were.
- `Cinemagraph`      a still that moves only inside a mask, as the prompt says; outside it
                     (dilated by the feather) the still, unchanged; optionally a seamless loop.

An engine turns a request into frames that stream into a sink (anything with
``write(frame: np.ndarray)``), reports `ProgressEvent`s, honours a `CancelToken` at every
frame/step, and returns a `GenerationResult` with the exact recipe of what it made.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

import numpy as np

__all__ = [
    "MAX_SECONDS",
    "MAX_SIDE",
    "MIN_SIDE",
    "OPERATIONS",
    "Bridge",
    "CancelToken",
    "Cancelled",
    "Capabilities",
    "ClipSource",
    "CollectingSink",
    "Engine",
    "EngineError",
    "Extend",
    "FrameSink",
    "GenerationRequest",
    "GenerationResult",
    "ImageToVideo",
    "Cinemagraph",
    "Inpaint",
    "MaskKey",
    "LONG_SHOT",
    "LongShot",
    "Loop",
    "REGION_OPERATIONS",
    "PinnedImage",
    "ProgressEvent",
    "ProgressReporter",
    "Remix",
    "RequestError",
    "SegmentRef",
    "ShotWindow",
    "TextToVideo",
    "UnknownEngine",
    "UnsupportedOperation",
    "WorkerCrashed",
    "check_inputs",
    "fps_str",
    "snap",
    "validate",
    "variations",
    "with_seed",
]

# Library-wide sanity limits, whatever the engine: a single generation makes at most one minute,
# and each side of the frame is between 64 and 4096 pixels. Engines may be stricter.
MAX_SECONDS = 60
MIN_SIDE = 64
MAX_SIDE = 4096
MAX_FPS = 240

OPERATIONS = frozenset(
    {
        "text_to_video",
        "image_to_video",
        "extend",
        "bridge",
        "remix",
        "loop",
        "inpaint",
        "cinemagraph",
    }
)
# Region edits: the operations that take a mask (see engine.masks)
REGION_OPERATIONS = frozenset({"inpaint", "cinemagraph"})
DEFAULT_FEATHER = 8  # pixels: the soft edge of a region edit's mask, outside the mask
MAX_FEATHER = 256
# A whole long shot in one call, for engines with a long-video pipeline (see `LongShot`); not
# one of OPERATIONS: an engine that lists it in its capabilities has such a pipeline.
LONG_SHOT = "long"


# --------------------------------------------------------------------------------------------
# Errors


class EngineError(Exception):
    """A generation failed. The message is one line a user can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


class RequestError(EngineError, ValueError):
    """The request is wrong (found before any work starts): says what was wrong and what to do."""


class UnsupportedOperation(RequestError):
    """The chosen engine cannot do this operation."""


class UnknownEngine(RequestError):
    """No engine of that name is installed."""


class WorkerCrashed(EngineError):
    """The generation worker process died during a job (abort, out of memory, driver fault)."""


class Cancelled(Exception):
    """The job was cancelled by the user."""

    def __init__(self, message: str = "the job was cancelled") -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message,))


ERROR_TYPES: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        EngineError,
        RequestError,
        UnsupportedOperation,
        UnknownEngine,
        WorkerCrashed,
        Cancelled,
    )
}


# --------------------------------------------------------------------------------------------
# Inputs


def _as_fraction(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | str):
        try:
            return Fraction(value)
        except (ValueError, ZeroDivisionError):
            return value
    return value


def fps_str(fps: Fraction) -> str:
    """``"24"`` or ``"24000/1001"``."""
    fps = Fraction(fps)
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


@dataclass(frozen=True)
class PinnedImage:
    """A still pinned at a frame of an image-to-video shot (-1 means the last frame)."""

    path: Path
    frame_index: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))


@dataclass(frozen=True)
class SegmentRef:
    """Frames ``[start, end)`` of one video file."""

    path: Path
    start: int
    end: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def num_frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class ClipSource:
    """Existing frames (a take) to condition on.

    `segments` are the take's video files in order; `head`/`tail` are lossless PNGs of its first
    and last K frames, in order. Conditioning frames always come from head/tail (never decoded
    from the lossy MP4); only remix reads the segments.
    """

    segments: tuple[SegmentRef, ...]
    head: tuple[Path, ...]
    tail: tuple[Path, ...]
    width: int
    height: int
    fps: Fraction
    num_frames: int
    # The recipe the take was made with (as stored), when known: an engine may continue its own
    # takes exactly from it (the animatic re-renders its scene); None for imported footage.
    recipe: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        object.__setattr__(self, "head", tuple(Path(p) for p in self.head))
        object.__setattr__(self, "tail", tuple(Path(p) for p in self.tail))
        object.__setattr__(self, "fps", _as_fraction(self.fps))

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description for a recipe."""
        return {
            "segments": [
                {"path": str(s.path), "start": s.start, "end": s.end} for s in self.segments
            ],
            "head": [str(p) for p in self.head],
            "tail": [str(p) for p in self.tail],
            "width": self.width,
            "height": self.height,
            "fps": fps_str(self.fps) if isinstance(self.fps, Fraction) else str(self.fps),
            "num_frames": self.num_frames,
        }


# --------------------------------------------------------------------------------------------
# Requests


@dataclass(frozen=True, kw_only=True)
class GenerationRequest:
    """Fields shared by every operation.

    `steps`/`guidance` of None mean "the engine's default" (the result records the value used).
    `labels` names figures/props to draw labelled (e.g. element names); `overlay_text` is a
    slate/caption burned into the frames (e.g. a shot code).
    """

    operation: ClassVar[str] = ""

    prompt: str = ""
    negative_prompt: str = ""
    width: int = 1280
    height: int = 720
    num_frames: int = 121
    fps: Fraction = Fraction(24)
    seed: int = 0
    steps: int | None = None
    guidance: float | None = None
    model: str | None = None
    labels: tuple[str, ...] = ()
    overlay_text: str | None = None
    # The sequence's scene heading ("12 INT. FERRY CABIN - NIGHT"): where the shot is set
    scene_heading: str = ""
    # Long shots: match this window's colour and exposure to these lossless reference frames
    # (the first window's tail); applied by engine.job.run_job around any engine's output.
    color_reference: tuple[Path, ...] = ()
    # Engine-specific settings (e.g. the diffusers engine's speed levers and memory plan);
    # an engine records the ones it used in the result's recipe and ignores the others.
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # Reference images of the elements the prompt mentions (a character's drawing), for engines
    # that condition on them for consistency (Wan VACE); others ignore them.
    reference_images: tuple[Path, ...] = ()
    # The shot's spoken lines ("CAPTAIN: Last boat's gone."), for engines that make sound
    # (LTX-2 voices them from the prompt); others ignore them.
    dialogue: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "fps", _as_fraction(self.fps))
        if isinstance(self.labels, str):
            object.__setattr__(self, "labels", (self.labels,))
        else:
            object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "color_reference", tuple(Path(p) for p in self.color_reference))
        object.__setattr__(self, "reference_images", tuple(Path(p) for p in self.reference_images))

    @classmethod
    def for_source(cls: type[_R], source: ClipSource, /, **fields: Any) -> _R:
        """A request on `source` whose size and fps match it (a remix also its frame count).

        Sets `source` (or `source_a` for a bridge) unless given.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        if "source" in names:
            fields.setdefault("source", source)
        elif "source_a" in names:
            fields.setdefault("source_a", source)
        fields.setdefault("width", source.width)
        fields.setdefault("height", source.height)
        fields.setdefault("fps", source.fps)
        if cls is Remix or cls is Inpaint:
            fields.setdefault("num_frames", source.num_frames)
        return cls(**fields)

    def conditioning(self) -> dict[str, Any]:
        """The conditioning inputs (paths), for the recipe."""
        return {}

    def recipe_fields(self) -> dict[str, Any]:
        """Operation-specific parameters for the recipe."""
        return {}


_R = TypeVar("_R", bound=GenerationRequest)


@dataclass(frozen=True, kw_only=True)
class TextToVideo(GenerationRequest):
    operation: ClassVar[str] = "text_to_video"


@dataclass(frozen=True, kw_only=True)
class ImageToVideo(GenerationRequest):
    """Stills pinned at frame positions; frames between them are generated."""

    operation: ClassVar[str] = "image_to_video"
    images: tuple[PinnedImage, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        images = self.images
        if isinstance(images, PinnedImage | str | Path):
            images = (images,)
        object.__setattr__(
            self,
            "images",
            tuple(im if isinstance(im, PinnedImage) else PinnedImage(Path(im)) for im in images),
        )

    def resolved_pins(self, num_frames: int | None = None) -> list[tuple[int, Path]]:
        """(frame, path) pairs sorted by frame, with -1 resolved to the last frame."""
        n = self.num_frames if num_frames is None else num_frames
        pins = [(n - 1 if im.frame_index == -1 else im.frame_index, im.path) for im in self.images]
        return sorted(pins, key=lambda p: p[0])

    def conditioning(self) -> dict[str, Any]:
        return {
            "images": [{"path": str(im.path), "frame_index": im.frame_index} for im in self.images]
        }


@dataclass(frozen=True, kw_only=True)
class Extend(GenerationRequest):
    """The new frames only: forward continues from the source's tail, backward ends at its head."""

    operation: ClassVar[str] = "extend"
    source: ClipSource
    direction: Literal["forward", "backward"] = "forward"

    def conditioning(self) -> dict[str, Any]:
        return {"source": self.source.describe(), "direction": self.direction}

    def recipe_fields(self) -> dict[str, Any]:
        return {"direction": self.direction}


@dataclass(frozen=True, kw_only=True)
class Bridge(GenerationRequest):
    """The frames between A's last frame and B's first frame."""

    operation: ClassVar[str] = "bridge"
    source_a: ClipSource
    source_b: ClipSource

    def conditioning(self) -> dict[str, Any]:
        return {"source_a": self.source_a.describe(), "source_b": self.source_b.describe()}


@dataclass(frozen=True, kw_only=True)
class Remix(GenerationRequest):
    """Video to video: the source's frames restyled by the prompt; `strength` in (0, 1]."""

    operation: ClassVar[str] = "remix"
    source: ClipSource
    strength: float = 0.6

    def conditioning(self) -> dict[str, Any]:
        return {"source": self.source.describe()}

    def recipe_fields(self) -> dict[str, Any]:
        return {"strength": self.strength}


@dataclass(frozen=True, kw_only=True)
class Loop(GenerationRequest):
    """A shot whose last frame leads back into its first.

    With `source`, the engine makes the closing frames only: they continue from the source's
    last frame and lead into its first, so that source + new frames loop seamlessly.
    """

    operation: ClassVar[str] = "loop"
    source: ClipSource | None = None

    def conditioning(self) -> dict[str, Any]:
        return {"source": self.source.describe()} if self.source is not None else {}


@dataclass(frozen=True)
class MaskKey:
    """A region mask: a lossless image the size of the request (white = the region).

    `frame_index` None: the mask holds for every frame. Keys at frames: a moving mask,
    interpolated between keys and held before the first and after the last (engine.masks).
    """

    path: Path
    frame_index: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.frame_index is not None:
            object.__setattr__(self, "frame_index", int(self.frame_index))

    def describe(self) -> dict[str, Any]:
        return {"path": str(self.path), "frame_index": self.frame_index}


def _mask_keys(masks: Any) -> tuple[MaskKey, ...]:
    if isinstance(masks, MaskKey | str | Path):
        masks = (masks,)
    return tuple(m if isinstance(m, MaskKey) else MaskKey(Path(m)) for m in masks)


@dataclass(frozen=True, kw_only=True)
class Inpaint(GenerationRequest):
    """A region edit of a take: inside `masks` what the prompt says, outside the source's frames.

    The result has the source's size, fps and frame count (use ``Inpaint.for_source``). The
    region is the mask; the output may differ from the source only within `feather` pixels of
    it (a soft seam that fades from the new pixels to the source's).
    """

    operation: ClassVar[str] = "inpaint"
    source: ClipSource
    masks: tuple[MaskKey, ...]
    feather: int = DEFAULT_FEATHER

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "masks", _mask_keys(self.masks))

    def conditioning(self) -> dict[str, Any]:
        return {"source": self.source.describe(), "masks": [m.describe() for m in self.masks]}

    def recipe_fields(self) -> dict[str, Any]:
        return {"feather": self.feather}


@dataclass(frozen=True, kw_only=True)
class Cinemagraph(GenerationRequest):
    """A still that moves only inside `mask`, as the prompt says; `loop`: the frame after the
    last is the first. Outside the mask (dilated by `feather`) every frame is the still."""

    operation: ClassVar[str] = "cinemagraph"
    image: Path
    mask: Path
    feather: int = DEFAULT_FEATHER
    loop: bool = False
    # When the still is frame `frame_index` of a take: that take (an engine may re-render its
    # own scene around that moment, e.g. the animatic's figures walking); None for an image.
    source: ClipSource | None = None
    frame_index: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "image", Path(self.image))
        object.__setattr__(self, "mask", Path(self.mask))

    def conditioning(self) -> dict[str, Any]:
        c: dict[str, Any] = {"image": str(self.image), "mask": str(self.mask)}
        if self.source is not None:
            c["source"] = self.source.describe()
            c["frame_index"] = self.frame_index
        return c

    def recipe_fields(self) -> dict[str, Any]:
        return {"feather": self.feather, "loop": self.loop}


@dataclass(frozen=True)
class ShotWindow:
    """One window of a long shot: frames [start, end) of the shot and their prompt."""

    start: int
    end: int
    prompt: str

    def describe(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "prompt": self.prompt}


@dataclass(frozen=True, kw_only=True)
class LongShot(GenerationRequest):
    """A shot longer than one model window, made in ONE call by an engine's long-video pipeline.

    `windows` cover frames 0..num_frames without gaps; each gives its stretch's prompt, and the
    job cuts the output at their boundaries into one clip per window (the take's segments, so a
    window can later be re-rolled). With `color_match`, windows after the first are held to the
    first window's tail colour and exposure, as chained long shots are. Engines without such a
    pipeline do not list ``"long"`` in their capabilities; the app chains windows instead.
    """

    operation: ClassVar[str] = LONG_SHOT
    windows: tuple[ShotWindow, ...]
    color_match: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        wins = tuple(self.windows)
        object.__setattr__(self, "windows", wins)
        if not wins:
            raise RequestError("a long shot needs at least one window")
        at = 0
        for w in wins:
            if w.start != at or w.end <= w.start:
                raise RequestError(
                    f"long-shot windows must follow each other from frame 0 without gaps "
                    f"(a window runs {w.start}-{w.end})"
                )
            at = w.end
        if at != self.num_frames:
            raise RequestError(
                f"long-shot windows end at frame {at}, not at the shot's {self.num_frames} frames"
            )

    def recipe_fields(self) -> dict[str, Any]:
        return {"windows": [w.describe() for w in self.windows], "color_match": self.color_match}


def with_seed(request: _R, seed: int) -> _R:
    """The same request with another seed."""
    return dataclasses.replace(request, seed=int(seed))


def variations(request: _R, n: int) -> tuple[_R, ...]:
    """`n` requests with seeds seed, seed+1, ..."""
    if n < 1:
        raise RequestError(f"asked for {n} variations; ask for at least 1")
    return tuple(with_seed(request, request.seed + i) for i in range(n))


# --------------------------------------------------------------------------------------------
# Capabilities, validation and snapping


@dataclass(frozen=True)
class Capabilities:
    """What an engine can make.

    Frame counts must satisfy ``num_frames % frame_modulus == frame_remainder`` (modulus 1: any
    count); width and height must be multiples of `size_multiple`.
    """

    operations: frozenset[str]
    size_multiple: int = 8
    frame_modulus: int = 1
    frame_remainder: int = 0
    native_fps: Fraction | None = None
    max_frames: int | None = None
    max_width: int = MAX_SIDE
    max_height: int = MAX_SIDE
    min_side: int = MIN_SIDE
    default_steps: int | None = None
    default_guidance: float | None = None

    def frames_ok(self, n: int) -> bool:
        return n % self.frame_modulus == self.frame_remainder % self.frame_modulus

    def frame_rule(self) -> str:
        if self.frame_modulus == 1:
            return "any frame count"
        return f"frame counts of the form {self.frame_modulus}k+{self.frame_remainder}"

    def max_frames_at(self, fps: Fraction) -> int:
        limit = math.floor(MAX_SECONDS * fps)
        if self.max_frames is not None:
            limit = min(limit, self.max_frames)
        return limit


def _file_kind(path: Path) -> str | None:
    """'png', 'jpeg', ... from the file's first bytes, or None if it is not a known image."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return None


def _check_image(path: Path, what: str) -> None:
    if not path.exists():
        raise RequestError(f"{what} not found: {path}; check the path or pick another image")
    if not path.is_file():
        raise RequestError(f"{what} is not a file: {path}")
    if _file_kind(path) is None:
        raise RequestError(
            f"{what} is not an image: {path} (expected PNG, JPEG, BMP, TIFF or WebP); "
            "pick an image file"
        )


def _check_source(source: ClipSource, name: str, need: Iterable[str]) -> None:
    """Check a ClipSource's fields and the files the operation will read (`need`)."""
    if not isinstance(source, ClipSource):
        raise RequestError(f"{name} must be a ClipSource, got {type(source).__name__}")
    if source.num_frames < 1:
        raise RequestError(f"{name} has no frames; pick a take that has finished generating")
    if not isinstance(source.fps, Fraction) or source.fps <= 0:
        raise RequestError(f"{name} has an invalid frame rate {source.fps!r}")
    total = 0
    for seg in source.segments:
        if seg.start < 0 or seg.end <= seg.start:
            raise RequestError(
                f"{name} segment {seg.path.name} has an empty or negative frame range "
                f"[{seg.start}, {seg.end})"
            )
        total += seg.end - seg.start
    if source.segments and total != source.num_frames:
        raise RequestError(
            f"{name} segments hold {total} frames but the take has {source.num_frames}; "
            "the take's media is inconsistent"
        )
    need = set(need)
    hint = "the take's media may have been purged or moved; regenerate the source take"
    if "segments" in need:
        if not source.segments:
            raise RequestError(f"{name} has no video segments to read")
        for seg in source.segments:
            if not seg.path.is_file():
                raise RequestError(f"{name} clip file not found: {seg.path}; {hint}")
    for part in ("head", "tail"):
        if part not in need:
            continue
        paths = getattr(source, part)
        if not paths:
            raise RequestError(f"{name} has no lossless {part} frames to continue from; {hint}")
        for p in paths:
            if not p.exists():
                raise RequestError(f"{name} {part} frame not found: {p}; {hint}")
            _check_image(p, f"{name} {part} frame")


def _check_region(request: Inpaint | Cinemagraph) -> None:
    """The prompt, feather and masks of a region edit (sizes and contents: engine.masks)."""
    op = request.operation
    if not request.prompt.strip():
        what = "inside the mask" if op == "inpaint" else "how the masked region moves"
        raise RequestError(
            f"{op} needs a prompt saying {what}, e.g. 'a red car' or 'water ripples'"
        )
    f = request.feather
    if not isinstance(f, int) or isinstance(f, bool) or not 0 <= f <= MAX_FEATHER:
        raise RequestError(
            f"feather must be a whole number of pixels from 0 to {MAX_FEATHER}, got {f!r}"
        )
    if isinstance(request, Inpaint):
        if not request.masks:
            raise RequestError(
                "inpaint needs a mask: paint one, or give --mask FILE or --box X,Y,W,H"
            )
        if request.num_frames != request.source.num_frames:
            raise RequestError(
                f"inpaint makes the source take's {request.source.num_frames} frames (asked for "
                f"{request.num_frames}); use Inpaint.for_source(...)"
            )
        held = [m for m in request.masks if m.frame_index is None]
        if held and len(request.masks) > 1:
            raise RequestError(
                "give either one mask for the whole take or masks at frames (FILE@FRAME), not both"
            )
        seen: set[int] = set()
        for m in request.masks:
            if m.frame_index is not None:
                if not 0 <= m.frame_index < request.num_frames:
                    raise RequestError(
                        f"mask {m.path.name} is keyed at frame {m.frame_index}, outside the take's "
                        f"{request.num_frames} frames (0..{request.num_frames - 1})"
                    )
                if m.frame_index in seen:
                    raise RequestError(
                        f"two masks are keyed at frame {m.frame_index}; key one per frame"
                    )
                seen.add(m.frame_index)
        paths = [m.path for m in request.masks]
    else:
        _check_image(request.image, "cinemagraph still")
        paths = [request.mask]
        if request.source is not None:
            fi = request.frame_index
            if fi is None or not 0 <= fi < request.source.num_frames:
                raise RequestError(
                    f"the cinemagraph's frame {fi} is outside the take's "
                    f"{request.source.num_frames} frames (0..{request.source.num_frames - 1})"
                )
    from engine.masks import read_mask  # cv2/numpy: only when a region edit is checked

    for p in paths:
        read_mask(p, request.width, request.height)


def _source_needs(request: GenerationRequest) -> list[tuple[str, ClipSource, tuple[str, ...]]]:
    if isinstance(request, Extend):
        part = "tail" if request.direction == "forward" else "head"
        return [("the source take", request.source, (part,))]
    if isinstance(request, Bridge):
        return [
            ("take A", request.source_a, ("tail",)),
            ("take B", request.source_b, ("head",)),
        ]
    if isinstance(request, Remix | Inpaint):
        return [("the source take", request.source, ("segments",))]
    if isinstance(request, Loop) and request.source is not None:
        return [("the source take", request.source, ("head", "tail"))]
    return []


def check_inputs(request: GenerationRequest) -> None:
    """Check a request against the library-wide rules and its input files.

    Raises `RequestError` with a one-line message saying what is wrong and what to do. Does no
    generation work (only looks at files' existence and first bytes).
    """
    if not isinstance(request, GenerationRequest) or not request.operation:
        raise RequestError(
            f"not a generation request: {type(request).__name__}; use TextToVideo, "
            "ImageToVideo, Extend, Bridge, Remix, Loop, Inpaint or Cinemagraph"
        )
    op = request.operation
    fps = request.fps
    if isinstance(fps, float):
        raise RequestError(
            f"fps must be exact (a fractions.Fraction or an int), got the float {fps}; "
            "use Fraction(24000, 1001) for 23.976"
        )
    if not isinstance(fps, Fraction):
        raise RequestError(f"fps must be a fractions.Fraction, got {fps!r}")
    if fps <= 0:
        raise RequestError(f"fps must be positive, got {fps_str(fps)}; use e.g. 24")
    if fps > MAX_FPS:
        raise RequestError(f"fps {fps_str(fps)} is more than {MAX_FPS}; use e.g. 24 or 30")
    for name in ("width", "height", "num_frames", "seed"):
        value = getattr(request, name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise RequestError(f"{name} must be a whole number, got {value!r}")
    w, h = request.width, request.height
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise RequestError(
            f"size {w}x{h} is not supported: width and height must each be between "
            f"{MIN_SIDE} and {MAX_SIDE} pixels (e.g. 1280x720)"
        )
    n = request.num_frames
    if n < 1:
        raise RequestError(
            f"num_frames is {n}; ask for at least 1 frame (e.g. {int(5 * fps)} frames = 5 s at "
            f"{fps_str(fps)} fps)"
        )
    limit = math.floor(MAX_SECONDS * fps)
    if n > limit:
        raise RequestError(
            f"{n} frames is {float(n / fps):.1f} s at {fps_str(fps)} fps, more than the "
            f"{MAX_SECONDS} s ({limit} frames) one generation may make; generate a shorter shot "
            "and extend it"
        )
    if request.seed < 0 or request.seed >= 2**63:
        raise RequestError(f"seed must be between 0 and 2**63-1, got {request.seed}")
    if request.steps is not None and (
        not isinstance(request.steps, int) or not 1 <= request.steps <= 1000
    ):
        raise RequestError(f"steps must be between 1 and 1000, got {request.steps!r}")
    if request.guidance is not None and (
        not isinstance(request.guidance, int | float)
        or not math.isfinite(request.guidance)
        or not 0 <= request.guidance <= 100
    ):
        raise RequestError(f"guidance must be between 0 and 100, got {request.guidance!r}")
    if not isinstance(request.prompt, str) or not isinstance(request.negative_prompt, str):
        raise RequestError("prompt and negative_prompt must be text")
    for label in request.labels:
        if not isinstance(label, str) or not label.strip():
            raise RequestError(f"labels must be non-empty text, got {label!r}")
    if request.overlay_text is not None and not isinstance(request.overlay_text, str):
        raise RequestError(f"overlay_text must be text, got {request.overlay_text!r}")

    if op in ("text_to_video", "loop") and not getattr(request, "source", None):
        if not request.prompt.strip():
            raise RequestError(
                "the prompt is empty; describe the shot, e.g. 'wide shot, a woman walks left, dusk'"
            )
    if isinstance(request, Remix):
        if not request.prompt.strip():
            raise RequestError("remix needs a prompt describing the new look, e.g. 'noir, rain'")
        s = request.strength
        if not isinstance(s, int | float) or not math.isfinite(s) or not 0 < s <= 1:
            raise RequestError(
                f"strength must be in (0, 1] (how far to move from the source), got {s!r}"
            )
        if n > request.source.num_frames:
            raise RequestError(
                f"remix can make at most the source take's {request.source.num_frames} frames "
                f"(asked for {n}); use Remix.for_source(...) to match the take"
            )
    if isinstance(request, Extend) and request.direction not in ("forward", "backward"):
        raise RequestError(
            f"extend direction must be 'forward' or 'backward', got {request.direction!r}"
        )
    if isinstance(request, ImageToVideo):
        if not request.images:
            raise RequestError("image to video needs at least one pinned image")
        seen: set[int] = set()
        for frame, path in request.resolved_pins():
            if not 0 <= frame < n:
                raise RequestError(
                    f"image {path.name} is pinned at frame {frame}, outside the shot's "
                    f"{n} frames (0..{n - 1}, or -1 for the last)"
                )
            if frame in seen:
                raise RequestError(f"two images are pinned at frame {frame}; pin one per frame")
            seen.add(frame)
            _check_image(path, "pinned image")

    if isinstance(request, Inpaint | Cinemagraph):
        _check_region(request)

    for ref in request.color_reference:
        _check_image(ref, "colour reference frame")
    for ref in request.reference_images:
        _check_image(ref, "element reference image")

    for name, source, need in _source_needs(request):
        _check_source(source, name, need)
        if isinstance(request, Remix):
            continue  # remix may change size (frames are resized)
        if isinstance(request, Inpaint) and (source.width, source.height) != (w, h):
            raise RequestError(
                f"inpaint must match the source take's size {source.width}x{source.height} "
                f"(asked for {w}x{h}); use Inpaint.for_source(...)"
            )
        if (source.width, source.height) != (w, h):
            raise RequestError(
                f"{op} must match {name}'s size {source.width}x{source.height} (asked for "
                f"{w}x{h}); use {type(request).__name__}.for_source(...)"
            )
        if source.fps != fps:
            raise RequestError(
                f"{op} must match {name}'s frame rate {fps_str(source.fps)} (asked for "
                f"{fps_str(fps)})"
            )


def validate(request: GenerationRequest, capabilities: Capabilities, engine: str = "") -> None:
    """`check_inputs` plus the engine's own limits. Raises `RequestError` before any work."""
    check_inputs(request)
    who = f"the {engine} engine" if engine else "this engine"
    if request.operation not in capabilities.operations:
        can = ", ".join(sorted(capabilities.operations)) or "nothing"
        raise UnsupportedOperation(
            f"{who} cannot do {request.operation.replace('_', ' ')} (it can do: {can}); "
            "pick another engine"
        )
    caps = capabilities
    if request.width > caps.max_width or request.height > caps.max_height:
        raise RequestError(
            f"size {request.width}x{request.height} is larger than {who}'s maximum "
            f"{caps.max_width}x{caps.max_height}; ask for a smaller size"
        )
    if min(request.width, request.height) < caps.min_side:
        raise RequestError(
            f"size {request.width}x{request.height} is smaller than {who}'s minimum side "
            f"of {caps.min_side} pixels"
        )
    limit = caps.max_frames_at(request.fps)
    if isinstance(request, LongShot):  # one call, many windows: only the library-wide limit
        limit = math.floor(MAX_SECONDS * request.fps)
    if request.num_frames > limit:
        raise RequestError(
            f"{request.num_frames} frames is more than {who} makes in one generation "
            f"({limit} at {fps_str(request.fps)} fps); generate a shorter shot and extend it"
        )
    for name, source, _ in _source_needs(request):
        if isinstance(request, Remix):
            continue
        m = caps.size_multiple
        if source.width % m or source.height % m:
            raise RequestError(
                f"{name} is {source.width}x{source.height} but {who} makes sizes in multiples "
                f"of {m}, so it cannot continue it seamlessly; remix or regenerate it first"
            )


def _snap_side(value: int, multiple: int, lo: int, hi: int) -> int:
    lo_ok = -(-lo // multiple) * multiple
    hi_ok = (hi // multiple) * multiple
    snapped = int(math.floor(value / multiple + 0.5)) * multiple
    return max(lo_ok, min(hi_ok, snapped))


def _nearest_frames(n: int, caps: Capabilities, limit: int) -> int:
    m, r = caps.frame_modulus, caps.frame_remainder % caps.frame_modulus
    if m == 1:
        return max(1, min(n, limit))
    below = n - ((n - r) % m)
    above = below + m
    candidates = [c for c in (below, above) if 1 <= c <= limit]
    if not candidates:
        smallest = r if r >= 1 else m
        return smallest
    return min(candidates, key=lambda c: (abs(c - n), -c))


def snap(request: _R, capabilities: Capabilities, engine: str = "") -> tuple[_R, list[str]]:
    """Snap size and frame count to the nearest the engine supports; fill default steps/guidance.

    Returns the request to make and human-readable notes about every change.
    """
    caps = capabilities
    why = f"the {engine} engine" if engine else "this engine"
    notes: list[str] = []
    changes: dict[str, Any] = {}
    m = caps.size_multiple
    for name, hi in (("width", caps.max_width), ("height", caps.max_height)):
        value = getattr(request, name)
        snapped = _snap_side(value, m, caps.min_side, hi)
        if snapped != value:
            changes[name] = snapped
            notes.append(f"{name} {value} snapped to {snapped} ({why} needs multiples of {m})")
    n = request.num_frames
    # an inpaint makes exactly its source's frames: an engine with a frame rule pads and trims
    if not caps.frames_ok(n) and not isinstance(request, Inpaint):
        snapped_n = _nearest_frames(n, caps, caps.max_frames_at(request.fps))
        changes["num_frames"] = snapped_n
        notes.append(f"frame count {n} snapped to {snapped_n} ({why} makes {caps.frame_rule()})")
        if isinstance(request, ImageToVideo):
            pins = []
            for im in request.images:
                if im.frame_index >= snapped_n:
                    notes.append(
                        f"image {im.path.name} pinned at frame {im.frame_index} moved to the "
                        f"last frame {snapped_n - 1}"
                    )
                    im = PinnedImage(im.path, snapped_n - 1)
                pins.append(im)
            changes["images"] = tuple(pins)
    if request.steps is None and caps.default_steps is not None:
        changes["steps"] = caps.default_steps
    if request.guidance is None and caps.default_guidance is not None:
        changes["guidance"] = caps.default_guidance
    if changes:
        request = dataclasses.replace(request, **changes)
    return request, notes


# --------------------------------------------------------------------------------------------
# Progress and cancel


@dataclass(frozen=True, eq=False)
class ProgressEvent:
    """`step` of `total` done; `preview` is a small RGB uint8 image (~160 px wide) or None."""

    step: int
    total: int
    elapsed_s: float
    eta_s: float | None
    preview: np.ndarray | None = None
    stage: str = "generate"


class _EventLike(Protocol):
    def set(self) -> None: ...
    def is_set(self) -> bool: ...
    def clear(self) -> None: ...


class CancelToken:
    """A thread-safe cancel flag. `event` may be a multiprocessing.Event to share across processes."""

    def __init__(self, event: _EventLike | None = None) -> None:
        self._event: _EventLike = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"


ProgressCallback = Callable[[ProgressEvent], None]


class ProgressReporter:
    """Builds `ProgressEvent`s (elapsed, ETA, throttled small previews) for an engine."""

    def __init__(
        self,
        total: int,
        callback: ProgressCallback | None,
        *,
        preview_width: int = 160,
        preview_interval_s: float = 0.25,
        stage: str = "generate",
    ) -> None:
        self.total = max(1, total)
        self.callback = callback
        self.preview_width = preview_width
        self.preview_interval_s = preview_interval_s
        self.stage = stage
        self.started = time.perf_counter()
        self._last_preview = -math.inf

    def __call__(self, step: int, frame: np.ndarray | None = None) -> None:
        if self.callback is None:
            return
        now = time.perf_counter()
        elapsed = now - self.started
        eta = elapsed / step * (self.total - step) if step > 0 else None
        preview = None
        if frame is not None and (
            now - self._last_preview >= self.preview_interval_s or step >= self.total
        ):
            preview = make_preview(frame, self.preview_width)
            self._last_preview = now
        self.callback(ProgressEvent(step, self.total, elapsed, eta, preview, self.stage))


def make_preview(frame: np.ndarray, width: int = 160) -> np.ndarray:
    """A small copy of an RGB frame, about `width` pixels wide (box-filtered, numpy only)."""
    h, w = frame.shape[:2]
    k = max(1, w // width)
    if k == 1:
        return np.ascontiguousarray(frame[:, :, :3])
    h2, w2 = h // k, w // k
    blocks = frame[: h2 * k, : w2 * k, :3].reshape(h2, k, w2, k, 3)
    return blocks.mean(axis=(1, 3)).round().astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Sinks, results, engines


@runtime_checkable
class FrameSink(Protocol):
    def write(self, frame: np.ndarray) -> None:
        """Take one HxWx3 uint8 RGB frame."""


class CollectingSink:
    """A sink that keeps every frame in memory (for tests and tiny clips)."""

    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def write(self, frame: np.ndarray) -> None:
        self.frames.append(np.array(frame, dtype=np.uint8, copy=True))

    def array(self) -> np.ndarray:
        return np.stack(self.frames) if self.frames else np.zeros((0, 0, 0, 3), np.uint8)


@dataclass(frozen=True)
class GenerationResult:
    """What an engine made: frame count, size, fps, the exact recipe and timings (seconds)."""

    frames: int
    width: int
    height: int
    fps: Fraction
    recipe: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    __hash__ = None  # type: ignore[assignment]  # holds dicts


class _CheckedSink:
    """Wraps the caller's sink: checks each frame's shape and counts frames."""

    def __init__(self, sink: FrameSink, width: int, height: int) -> None:
        self.sink = sink
        self.shape = (height, width, 3)
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != self.shape or frame.dtype != np.uint8:
            raise EngineError(
                f"engine bug: frame {self.count} is {frame.shape} {frame.dtype}, expected "
                f"{self.shape} uint8"
            )
        self.sink.write(frame)
        self.count += 1


class Engine(ABC):
    """A generation engine. Subclasses implement `capabilities` and `_generate`.

    `generate` validates (raising `RequestError`/`UnsupportedOperation` before any work),
    snaps, streams frames into `sink`, checks `cancel` at every frame/step (raising `Cancelled`)
    and returns a `GenerationResult` whose recipe records what was actually made.
    """

    name: ClassVar[str] = ""

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    def load(self) -> None:  # noqa: B027 - optional hook
        """Load models or warm caches (the worker calls this once)."""

    def prepare(self, request: _R) -> tuple[_R, list[str]]:
        """Validate then snap; returns the request to make and the snapping notes."""
        validate(request, self.capabilities, self.name)
        return snap(request, self.capabilities, self.name)

    def generate(
        self,
        request: GenerationRequest,
        sink: FrameSink,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        *,
        notes: Sequence[str] = (),
    ) -> GenerationResult:
        """Make `request` into `sink`. `notes` carries notes from an earlier `prepare`."""
        t0 = time.perf_counter()
        prepared, snap_notes = self.prepare(request)
        all_notes = tuple(notes) + tuple(snap_notes)
        cancel = cancel if cancel is not None else CancelToken()
        cancel.raise_if_cancelled()
        checked = _CheckedSink(sink, prepared.width, prepared.height)
        reporter = ProgressReporter(prepared.num_frames, progress)
        t1 = time.perf_counter()
        extra = self._generate(prepared, checked, reporter, cancel) or {}
        t2 = time.perf_counter()
        if checked.count != prepared.num_frames:
            raise EngineError(
                f"the {self.name} engine made {checked.count} frames instead of "
                f"{prepared.num_frames}"
            )
        recipe = self.recipe(prepared, all_notes, extra)
        return GenerationResult(
            frames=checked.count,
            width=prepared.width,
            height=prepared.height,
            fps=prepared.fps,
            recipe=recipe,
            timings={"prepare_s": t1 - t0, "generate_s": t2 - t1, "total_s": t2 - t0},
            notes=all_notes,
        )

    @abstractmethod
    def _generate(
        self,
        request: GenerationRequest,
        sink: FrameSink,
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> Mapping[str, Any] | None:
        """Write exactly request.num_frames frames; return extra recipe entries (or None)."""

    def recipe(
        self,
        request: GenerationRequest,
        notes: Sequence[str],
        extra: Mapping[str, Any],
    ) -> dict[str, Any]:
        recipe: dict[str, Any] = {
            "engine": self.name,
            "model": request.model,
            "operation": request.operation,
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "seed": request.seed,
            "steps": request.steps,
            "guidance": request.guidance,
            "width": request.width,
            "height": request.height,
            "fps": fps_str(request.fps),
            "num_frames": request.num_frames,
            "labels": list(request.labels),
            "overlay_text": request.overlay_text,
            "conditioning": request.conditioning(),
            "notes": list(notes),
        }
        if request.scene_heading:
            recipe["scene_heading"] = request.scene_heading
        recipe.update(request.recipe_fields())
        recipe.update(extra)
        return recipe
