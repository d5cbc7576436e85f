"""Region masks for the region edits (inpaint, cinemagraph): reading, moving, feathering.

A mask is a lossless image the size of the frame; white (or opaque, for an image with an alpha
channel) is the region to change. In memory it is a boolean ``(H, W)`` array.

The guarantee every engine keeps, and the tests check on the frames: the output may differ from
its source only where `feather_alpha` is above zero, i.e. inside the mask dilated by the
feather width (`protected` is the rest). Inside the mask the new pixels are used as they are;
across the feather they fade into the source's.

Keyframed masks (a moving region) are interpolated by `MaskTrack`: between two keys the shape
slides from one key's centroid to the other's while morphing (signed-distance blend of the two
shapes aligned on their moving centroid), held before the first key and after the last.

OpenCV and numpy only; imported by engines, services and the app's mask tool alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.api import MaskKey, RequestError

__all__ = [
    "MaskTrack",
    "box_mask",
    "composite",
    "ellipse_mask",
    "feather_alpha",
    "mask_from_image",
    "protected",
    "read_mask",
    "resize_mask",
    "write_mask",
]

THRESHOLD = 128  # a pixel at or above half white is in the region


def mask_from_image(img: np.ndarray) -> np.ndarray:
    """A boolean mask from a decoded image (grey, BGR/RGB or with alpha)."""
    if img.ndim == 2:
        return img >= THRESHOLD
    if img.shape[2] == 4:
        alpha = img[:, :, 3]
        if int(alpha.min()) < 255:  # a real alpha channel: opaque is the region
            return alpha >= THRESHOLD
        img = img[:, :, :3]
    return img.max(axis=2) >= THRESHOLD


def read_mask(
    path: Path | str, width: int | None = None, height: int | None = None, *, what: str = "mask"
) -> np.ndarray:
    """The boolean mask in the image at `path`, checked against the frame size.

    Raises `RequestError` (one line: what is wrong and what to do) for a missing file, a file
    that is not an image, a mask of another size than ``width`` x ``height`` (when given) or an
    empty mask.
    """
    import cv2

    from engine.media import check_image_size

    path = Path(path)
    if not path.is_file():
        raise RequestError(f"{what} not found: {path}; check the path or paint a new mask")
    check_image_size(path, what)
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise RequestError(
            f"{what} {path.name} is not an image; give a PNG (white = the region to change)"
        )
    if img.dtype != np.uint8:  # 16-bit PNG/TIFF
        img = (img.astype(np.float64) / np.iinfo(img.dtype).max * 255).astype(np.uint8)
    mask = mask_from_image(img)
    h, w = mask.shape
    if width is not None and height is not None and (w, h) != (width, height):
        raise RequestError(
            f"{what} {path.name} is {w}x{h} but the frames are {width}x{height}; make the mask "
            f"{width}x{height} or let Previz resize it (--resize-mask)"
        )
    if not mask.any():
        raise RequestError(
            f"{what} {path.name} is empty (no white pixels); paint the region to change in white"
        )
    return mask


def write_mask(path: Path | str, mask: np.ndarray) -> Path:
    """Write `mask` as an 8-bit greyscale PNG (0 / 255), lossless. Returns the path."""
    import cv2

    path = Path(path)
    ok, buf = cv2.imencode(".png", np.where(mask, 255, 0).astype(np.uint8))
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 image
        raise RequestError(f"could not encode the mask {path.name}")
    path.write_bytes(buf.tobytes())
    return path


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """`mask` scaled to ``width`` x ``height`` (a smooth scale, re-thresholded)."""
    import cv2

    img = np.where(mask, 255, 0).astype(np.uint8)
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR) >= THRESHOLD


def box_mask(width: int, height: int, x: int, y: int, w: int, h: int) -> np.ndarray:
    """A rectangle (clipped to the frame). Raises `RequestError` if nothing of it is inside."""
    mask = np.zeros((height, width), dtype=bool)
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(width, int(x) + int(w)), min(height, int(y) + int(h))
    if w <= 0 or h <= 0 or x1 <= x0 or y1 <= y0:
        raise RequestError(
            f"the box {x},{y},{w},{h} is empty or outside the {width}x{height} frame; give "
            "X,Y,W,H in pixels with the box inside the frame"
        )
    mask[y0:y1, x0:x1] = True
    return mask


def ellipse_mask(width: int, height: int, x: int, y: int, w: int, h: int) -> np.ndarray:
    """The ellipse inscribed in the box X,Y,W,H."""
    import cv2

    img = np.zeros((height, width), dtype=np.uint8)
    center = (round(x + w / 2), round(y + h / 2))
    axes = (max(1, round(w / 2)), max(1, round(h / 2)))
    cv2.ellipse(img, center, axes, 0, 0, 360, 255, thickness=-1)
    return img >= THRESHOLD


def _distance_outside(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance (pixels) of every pixel to the nearest mask pixel (0 inside)."""
    import cv2

    outside = np.where(mask, 0, 255).astype(np.uint8)
    return cv2.distanceTransform(outside, cv2.DIST_L2, 5)


def feather_alpha(mask: np.ndarray, feather: int) -> np.ndarray:
    """The blend weight of the new pixels: 1 inside `mask`, fading to 0 at `feather` pixels
    outside it (a smooth ramp), 0 beyond. float32 ``(H, W)``."""
    if feather <= 0:
        return mask.astype(np.float32)
    d = _distance_outside(mask)
    t = np.clip(1.0 - d / float(feather), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)  # smoothstep: no visible edge


def protected(mask: np.ndarray, feather: int) -> np.ndarray:
    """Where an output must equal its source: outside the mask dilated by `feather` pixels."""
    return feather_alpha(mask, feather) <= 0.0


def composite(source: np.ndarray, new: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``source`` with ``new`` laid over it by ``alpha`` (uint8 RGB frames, float alpha)."""
    a = alpha[:, :, None]
    out = source.astype(np.float32) * (1.0 - a) + new.astype(np.float32) * a
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _signed_distance(mask: np.ndarray) -> np.ndarray:
    """Negative inside the mask, positive outside (pixels)."""
    import cv2

    inside = cv2.distanceTransform(np.where(mask, 255, 0).astype(np.uint8), cv2.DIST_L2, 5)
    return _distance_outside(mask) - inside


def _shift_field(field: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """A float field moved by (dx, dy); what comes in from outside the frame repeats its edge."""
    import cv2

    m = np.float32([[1, 0, dx], [0, 1, dy]])
    h, w = field.shape
    return cv2.warpAffine(field, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


class MaskTrack:
    """The mask at every frame of a take, from a still mask or from masks keyed at frames."""

    def __init__(self, keys: Sequence[tuple[int | None, np.ndarray]]) -> None:
        if not keys:
            raise RequestError("a region edit needs at least one mask")
        held = [m for f, m in keys if f is None]
        if held:
            self.keys: list[tuple[int, np.ndarray]] = [(0, held[0])]
        else:
            self.keys = sorted(((int(f), m) for f, m in keys if f is not None), key=lambda k: k[0])
        self._cache: dict[int, np.ndarray] = {}
        self._fields: dict[int, np.ndarray] = {}  # signed distance of key k
        self._centroids: dict[int, tuple[float, float]] = {}

    def _sdf(self, k: int) -> np.ndarray:
        if k not in self._fields:
            self._fields[k] = _signed_distance(self.keys[k][1])
        return self._fields[k]

    def _centroid(self, k: int) -> tuple[float, float]:
        if k not in self._centroids:
            self._centroids[k] = _centroid(self.keys[k][1])
        return self._centroids[k]

    @classmethod
    def load(cls, masks: Sequence[MaskKey], width: int, height: int) -> MaskTrack:
        """Read and check every key's mask file (see `read_mask`)."""
        return cls([(m.frame_index, read_mask(m.path, width, height)) for m in masks])

    @property
    def moving(self) -> bool:
        return len(self.keys) > 1

    def union(self) -> np.ndarray:
        """Every pixel that is in the region at some key (for engines that need one mask)."""
        out = np.zeros_like(self.keys[0][1])
        for _, m in self.keys:
            out |= m
        return out

    def at(self, frame: int) -> np.ndarray:
        """The mask at `frame` (held before the first key and after the last)."""
        keys = self.keys
        if len(keys) == 1 or frame <= keys[0][0]:
            return keys[0][1]
        if frame >= keys[-1][0]:
            return keys[-1][1]
        if frame in self._cache:
            return self._cache[frame]
        k = next(k for k in range(len(keys) - 1) if keys[k][0] <= frame <= keys[k + 1][0])
        (fa, ma), (fb, mb) = keys[k], keys[k + 1]
        if frame == fa:
            return ma
        if frame == fb:
            return mb
        t = (frame - fa) / (fb - fa)
        (ax, ay), (bx, by) = self._centroid(k), self._centroid(k + 1)
        # both shapes moved to the centroid of this frame, then morphed: the signed distance of
        # a moved shape is its key's signed distance moved (computed once per key)
        sa = _shift_field(self._sdf(k), t * (bx - ax), t * (by - ay))
        sb = _shift_field(self._sdf(k + 1), (1 - t) * (ax - bx), (1 - t) * (ay - by))
        a, b = sa <= 0, sb <= 0
        if not a.any() or not b.any():  # a shape slid off the frame: the other one alone
            out = a if a.any() else b
        else:
            out = (1 - t) * sa + t * sb <= 0
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[frame] = out
        return out

    def alphas(self, frame: int, feather: int) -> np.ndarray:
        """`feather_alpha` of the mask at `frame`."""
        return feather_alpha(self.at(frame), feather)
