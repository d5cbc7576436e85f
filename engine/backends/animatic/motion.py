"""Image-space motion for the conditioned operations (extend, bridge, loop, image to video).

- `estimate_motion` measures the camera's per-frame motion in a few frames (a similarity
  transform fitted with RANSAC to tracked corners, so moving subjects do not pull it off).
- `continue_frame` carries a frame forward (or backward) by k steps of that motion.
- `ease` is the smoothstep weight used to fade between two streams without a visible jump.
- `PinnedImages` animates stills pinned at frames with the shot's camera move.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from engine.backends.animatic.camera import CameraRig

__all__ = ["PinnedImages", "continue_frame", "ease", "estimate_motion", "fit_cover"]


def ease(x: float) -> float:
    """Smoothstep: 0 at 0, 1 at 1, zero slope at both ends."""
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def _grey_small(frame: np.ndarray, max_width: int = 320) -> tuple[np.ndarray, float]:
    h, w = frame.shape[:2]
    k = min(1.0, max_width / w)
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    if k < 1.0:
        grey = cv2.resize(
            grey, (int(round(w * k)), int(round(h * k))), interpolation=cv2.INTER_AREA
        )
    return grey, k


def _pair_motion(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """Similarity (3x3) mapping frame a's pixels to frame b's, or None if not measurable."""
    ga, k = _grey_small(a)
    gb, _ = _grey_small(b)
    pts = cv2.goodFeaturesToTrack(
        ga, maxCorners=400, qualityLevel=0.005, minDistance=4, blockSize=5
    )
    if pts is None or len(pts) < 8:
        return None
    nxt, status, _ = cv2.calcOpticalFlowPyrLK(ga, gb, pts, None, winSize=(21, 21), maxLevel=3)
    ok = status.ravel() == 1
    if ok.sum() < 8:
        return None
    src, dst = pts[ok].reshape(-1, 2) / k, nxt[ok].reshape(-1, 2) / k
    m, inliers = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.5 / k
    )
    if m is None or inliers is None or inliers.sum() < 6:
        return None
    out = np.eye(3)
    out[:2] = m
    return out


def estimate_motion(frames: list[np.ndarray], *, at_end: bool = True, pairs: int = 3) -> np.ndarray:
    """Per-frame camera motion (3x3 similarity, forward in time) from consecutive `frames`.

    Uses the last `pairs` pairs (or the first ones when ``at_end`` is False) and averages their
    parameters; identity when nothing can be measured (a still or a single frame).
    """
    if len(frames) < 2:
        return np.eye(3)
    idx = list(range(len(frames) - 1))
    idx = idx[-pairs:] if at_end else idx[:pairs]
    params = []
    for i in idx:
        m = _pair_motion(frames[i], frames[i + 1])
        if m is None:
            continue
        a, b = m[0, 0], m[1, 0]
        params.append((math.hypot(a, b), math.atan2(b, a), m[0, 2], m[1, 2]))
    if not params:
        return np.eye(3)
    s, ang, tx, ty = np.median(np.array(params), axis=0)
    out = np.eye(3)
    out[0, 0], out[0, 1] = s * math.cos(ang), -s * math.sin(ang)
    out[1, 0], out[1, 1] = s * math.sin(ang), s * math.cos(ang)
    out[0, 2], out[1, 2] = tx, ty
    return out


def continue_frame(frame: np.ndarray, motion: np.ndarray, steps: int) -> np.ndarray:
    """`frame` carried `steps` frames along `motion` (negative steps: back in time)."""
    if steps == 0 or np.allclose(motion, np.eye(3)):
        return frame.copy()
    m = np.linalg.matrix_power(motion if steps > 0 else np.linalg.inv(motion), abs(steps))
    h, w = frame.shape[:2]
    return cv2.warpAffine(
        frame, m[:2], (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def blend(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """(1 - w) * a + w * b."""
    if w <= 0:
        return a.copy()
    if w >= 1:
        return b.copy()
    return cv2.addWeighted(a, 1.0 - w, b, w, 0.0)


def fit_cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale `image` to cover width x height and crop the centre."""
    h, w = image.shape[:2]
    k = max(width / w, height / h)
    nw, nh = max(width, int(math.ceil(w * k))), max(height, int(math.ceil(h * k)))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image, (nw, nh), interpolation=interp)
    x0, y0 = (nw - width) // 2, (nh - height) // 2
    return np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])


class PinnedImages:
    """Stills pinned at frames, animated by the shot's camera move.

    Each still is a picture plane at the subject distance; the camera's pose at time t maps
    it to the frame (a homography). Between two pins the stills crossfade (smoothstep), each
    carried by the same camera move, so the move is continuous across keyframes.
    """

    def __init__(
        self, rig: CameraRig, pins: list[tuple[int, np.ndarray]], width: int, height: int
    ) -> None:
        self.rig = rig
        self.pins = pins
        self.width, self.height = width, height
        p0 = rig.pose(0.0)
        basis = p0.basis()
        d = rig.distance
        half_w = width / 2 * d / p0.focal_px
        half_h = height / 2 * d / p0.focal_px
        centre = p0.position + basis[2] * d
        r, u = basis[0], basis[1]
        self.plane = np.array(
            [
                centre - r * half_w + u * half_h,
                centre + r * half_w + u * half_h,
                centre + r * half_w - u * half_h,
                centre - r * half_w - u * half_h,
            ]
        )
        self.src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])

    def homography(self, t: float) -> np.ndarray:
        pose = self.rig.pose(t)
        cam = (self.plane - pose.position) @ pose.basis().T
        if (cam[:, 2] < 0.05).any():
            cam[:, 2] = np.maximum(cam[:, 2], 0.05)
        cx, cy = self.width / 2, self.height / 2
        u = cam[:, 0] / cam[:, 2] * pose.focal_px
        v = -cam[:, 1] / cam[:, 2] * pose.focal_px
        a = math.radians(pose.roll)
        ca, sa = math.cos(a), math.sin(a)
        # image rotation (counter-clockwise for positive roll, as cv2.getRotationMatrix2D)
        ur, vr = ca * u + sa * v, -sa * u + ca * v
        dst = np.float32(np.stack([ur + cx, vr + cy], axis=1))
        return cv2.getPerspectiveTransform(self.src, dst)

    def frame_at(self, index: int, t: float) -> np.ndarray:
        hmat = self.homography(t)
        before = [p for p in self.pins if p[0] <= index]
        after = [p for p in self.pins if p[0] > index]
        a = before[-1] if before else after[0]
        b = after[0] if (after and before) else None
        size = (self.width, self.height)
        img_a = cv2.warpPerspective(
            a[1], hmat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        if b is None:
            return img_a
        w = ease((index - a[0]) / (b[0] - a[0]))
        if w <= 0:
            return img_a
        img_b = cv2.warpPerspective(
            b[1], hmat, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        return blend(img_a, img_b, w)
