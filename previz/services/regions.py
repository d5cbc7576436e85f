"""Region edits' files in a project: the masks of an inpaint and a cinemagraph's still.

A region edit names its masks as lossless 8-bit grey PNGs under ``media/masks/`` (unique uuid
names, written to a temporary name and renamed into place), so a take can be re-made or its
mask edited later. A mask comes from a file (``--mask``), a box (``--box X,Y,W,H``) or an
array painted in the app (`MaskInput`); whatever it came from, it is checked (an image, not
empty, the frame's size unless it may be resized) and stored the same way.

A cinemagraph's still is stored beside its masks as ``<uuid>-still.png``: a frame of a take
(taken losslessly from the take's head or tail PNGs where it lies in them, else decoded from
its clip) or an image fitted to the sequence's size.

`load_region_masks` reads a take's masks back and `mask_at` interpolates keyed masks as the
engines do (both for the player's mask tool, which may not import the engine). The files a
region names are kept by the sweep and purge (``previz.services.project.region_files``).
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from previz.core.errors import InvalidInput, PrevizError
from previz.store.folder import MASKS, fsync_dir, rel, resolve, safe_subdir

if TYPE_CHECKING:
    import numpy as np

    from previz.core.values import TakeInfo

log = logging.getLogger(__name__)

__all__ = [
    "MaskInput",
    "cover_frame",
    "load_region_masks",
    "load_still",
    "mask_array",
    "mask_at",
    "remove_stored",
    "store_mask",
    "store_still",
    "take_frame",
]


@dataclass(frozen=True, eq=False)
class MaskInput:
    """One mask of a region edit: exactly one of a file, a box (x, y, w, h in pixels) or a
    painted boolean ``(H, W)`` array; `frame` None holds it for the whole take, a number keys
    it at that frame (several keys make a moving mask)."""

    frame: int | None = None
    path: Path | None = None
    box: tuple[int, int, int, int] | None = None
    array: np.ndarray | None = None

    def __post_init__(self) -> None:
        given = [x for x in (self.path, self.box, self.array) if x is not None]
        if len(given) != 1:
            raise InvalidInput("a mask is one of: a mask file, a box X,Y,W,H or a painted mask")
        if self.path is not None:
            object.__setattr__(self, "path", Path(self.path).expanduser())
        if self.box is not None:
            if len(self.box) != 4:
                raise InvalidInput(f"a box is X,Y,W,H (4 numbers), got {self.box!r}")
            object.__setattr__(self, "box", tuple(int(v) for v in self.box))
        if self.frame is not None:
            object.__setattr__(self, "frame", int(self.frame))

    @property
    def label(self) -> str:
        """How the user gave it, for messages."""
        at = "" if self.frame is None else f"@{self.frame}"
        if self.path is not None:
            return f"mask {self.path.name}{at}"
        if self.box is not None:
            return f"box {','.join(map(str, self.box))}{at}"
        return f"painted mask{at}"


def _engine_message(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _size_error(what: str, w: int, h: int, width: int, height: int) -> InvalidInput:
    return InvalidInput(
        f"{what} is {w}x{h} but the frames are {width}x{height}; make the mask "
        f"{width}x{height} or let Previz resize it (--resize-mask)"
    )


def mask_array(m: MaskInput, width: int, height: int, *, resize: bool = False) -> np.ndarray:
    """The boolean ``(height, width)`` mask of `m`, checked: an image, not empty, the frame's
    size (else refused naming both sizes and --resize-mask, or scaled when `resize`)."""
    import numpy as np

    from engine.api import EngineError
    from engine.masks import box_mask, read_mask, resize_mask

    try:
        if m.box is not None:
            return box_mask(width, height, *m.box)
        if m.path is not None:
            mask = read_mask(m.path)  # not an image / empty / missing: one line
            what = f"mask {m.path.name}"
        else:
            mask = np.asarray(m.array)
            if mask.ndim != 2:
                raise InvalidInput(f"a painted mask is one channel (H x W), got {mask.shape}")
            if mask.dtype != bool:  # 0/1 or 0/255 integers, or 0..1 floats
                cut = 0.5 if mask.dtype.kind == "f" else (127 if mask.max(initial=0) > 1 else 0)
                mask = mask > cut
            what = "the painted mask"
            if not mask.any():
                raise InvalidInput("the painted mask is empty; paint the region to change")
    except EngineError as exc:
        raise InvalidInput(_engine_message(exc)) from None
    h, w = mask.shape
    if (w, h) != (width, height):
        if not resize:
            raise _size_error(what, w, h, width, height)
        mask = resize_mask(mask, width, height)
        if not mask.any():
            raise InvalidInput(
                f"{what} is empty once resized to {width}x{height}; paint a larger region"
            )
    return mask


def _write_new(folder: Path, name: str, write: Any) -> str:
    """Write a new file ``media/masks/<name>`` through a temporary name; its stored path."""
    dest_dir = safe_subdir(folder, MASKS)
    dest = dest_dir / name
    tmp = dest_dir / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(dest_dir)
    return rel(folder, dest)


def store_mask(folder: Path, mask: np.ndarray) -> str:
    """Store `mask` as ``media/masks/<uuid>.png`` (lossless grey 0/255); its stored path."""
    from engine.masks import write_mask

    return _write_new(folder, f"{uuid.uuid4().hex}.png", lambda p: write_mask(p, mask))


def store_still(folder: Path, rgb: np.ndarray) -> str:
    """Store an RGB still as ``media/masks/<uuid>-still.png`` (lossless); its stored path."""
    import cv2

    def write(p: Path) -> None:
        ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if not ok:  # pragma: no cover - OpenCV always encodes a uint8 image
            raise InvalidInput("could not encode the cinemagraph's still")
        p.write_bytes(buf.tobytes())

    return _write_new(folder, f"{uuid.uuid4().hex}-still.png", write)


def remove_stored(folder: Path, stored: list[str]) -> None:
    """Remove files this request stored (a refused request leaves none behind)."""
    for s in stored:
        try:
            resolve(folder, s).unlink(missing_ok=True)
        except (OSError, PrevizError):
            log.warning("could not remove the refused request's file %s", s)


def cover_frame(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to cover ``width`` x ``height`` keeping the aspect, then crop the middle."""
    import cv2

    h, w = rgb.shape[:2]
    scale = max(width / w, height / h)
    nw, nh = max(width, round(w * scale)), max(height, round(h * scale))
    big = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    y, x = (nh - height) // 2, (nw - width) // 2
    return big[y : y + height, x : x + width, :3].copy()


def load_still(path: str | Path, width: int, height: int) -> tuple[np.ndarray, str | None]:
    """The image at `path` as an RGB still of ``width`` x ``height``; the note says whether it
    was fitted (cover: scaled and cropped) or used as it is (None when it already fits)."""
    from engine.api import EngineError
    from engine.media import load_png_frames
    from previz.services.media_import import check_still

    path = Path(path).expanduser()
    check_still(path, "--image")
    try:
        rgb = load_png_frames([path])[0]
    except EngineError as exc:
        raise InvalidInput(_engine_message(exc)) from None
    h, w = rgb.shape[:2]
    if (w, h) == (width, height):
        return rgb, None
    note = (
        f"the still {path.name} is {w}x{h}; it was fitted to the sequence's {width}x{height} "
        "(scaled to cover and cropped in the middle)"
    )
    return cover_frame(rgb, width, height), note


def take_frame(folder: Path, take: TakeInfo, n: int) -> np.ndarray:
    """Frame `n` of `take` as RGB at the take's size: from its lossless head or tail PNGs when
    it is one of them, else decoded from its clip."""
    from engine.api import EngineError, SegmentRef
    from engine.media import load_png_frames, read_frames

    total = take.frame_count
    if not 0 <= n < total:
        raise InvalidInput(
            f"frame {n} is outside take {take.number}'s {total} frames (0..{total - 1})"
        )
    try:
        path: str | None = None
        if n < len(take.head):
            path = take.head[n]
        elif n >= total - len(take.tail):
            path = take.tail[n - (total - len(take.tail))]
        if path is not None:
            rgb = load_png_frames([resolve(folder, path)])[0]
            if rgb.shape[:2] == (take.height, take.width):
                return rgb
        at = 0
        for seg in take.segments:
            length = seg.end - seg.start
            if n < at + length:
                i = seg.start + n - at
                ref = SegmentRef(resolve(folder, seg.path), i, i + 1)
                return next(iter(read_frames(ref, width=take.width, height=take.height)))
            at += length
    except EngineError as exc:
        raise InvalidInput(f"cannot read frame {n} of take {take.number}: {exc}") from None
    raise InvalidInput(f"take {take.number} has no clip holding frame {n}; re-generate it")


def load_region_masks(folder: Path, recipe: dict[str, Any]) -> list[tuple[int | None, np.ndarray]]:
    """A take's masks back, as (frame or None, boolean HxW mask), in the recipe's order.

    `recipe` is a take's recipe (its ``region``) or the region itself; [] when it has none.
    A mask file that is gone or damaged is an `InvalidInput` naming it.
    """
    from engine.api import EngineError
    from engine.masks import read_mask

    region = recipe.get("region", recipe) if recipe else None
    out: list[tuple[int | None, np.ndarray]] = []
    for m in (region or {}).get("masks") or ():
        try:
            mask = read_mask(resolve(Path(folder), m["path"]))
        except EngineError as exc:
            raise InvalidInput(_engine_message(exc)) from None
        f = m.get("frame_index")
        out.append((None if f is None else int(f), mask))
    return out


def mask_at(keys: list[tuple[int, np.ndarray]], frame: int) -> np.ndarray:
    """The mask at `frame` of masks keyed at frames, interpolated exactly as the engines do
    (``engine.masks.MaskTrack``): the player's mask tool shows it between keys (the app may
    not import the engine itself)."""
    import hashlib

    import numpy as np

    from engine.masks import MaskTrack

    # the tool asks frame after frame with the same keys: keep their tracks (each caches its
    # keys' signed distances, the costly part) so a frame costs one blend, not four transforms
    ident = tuple(
        (f, m.shape, hashlib.blake2b(np.packbits(m).tobytes(), digest_size=16).digest())
        for f, m in keys
    )
    track = _TRACKS.pop(ident, None) or MaskTrack(keys)
    _TRACKS[ident] = track
    while len(_TRACKS) > 4:
        _TRACKS.pop(next(iter(_TRACKS)))
    return track.at(frame)


_TRACKS: dict[tuple[Any, ...], Any] = {}  # the latest MaskTracks mask_at made, oldest first
