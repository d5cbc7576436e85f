"""Helpers for the engine tests: render small clips, and measure what a viewer would see."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from engine.api import ClipSource, CollectingSink, GenerationRequest, SegmentRef, TextToVideo
from engine.backends.animatic import AnimaticEngine
from engine.media import ClipWriter

W, H = 256, 144
ENGINE = AnimaticEngine()


def generate(request: GenerationRequest) -> np.ndarray:
    """Frames (n, h, w, 3) uint8 made by the animatic engine for `request`."""
    sink = CollectingSink()
    ENGINE.generate(request, sink)
    return sink.array()


def render(
    prompt: str,
    n: int = 12,
    *,
    width: int = W,
    height: int = H,
    seed: int = 0,
    fps: Fraction = Fraction(24),
    **kw,
) -> np.ndarray:
    return generate(
        TextToVideo(
            prompt=prompt, width=width, height=height, num_frames=n, fps=fps, seed=seed, **kw
        )
    )


def write_take(
    frames: np.ndarray, out_dir: Path, fps: Fraction = Fraction(24), k: int = 8
) -> ClipSource:
    """Write `frames` as a take (MP4 + head/tail PNGs) and describe it as a ClipSource."""
    n, h, w, _ = frames.shape
    writer = ClipWriter(out_dir, w, h, fps, k)
    for f in frames:
        writer.write(f)
    files = writer.close()
    return ClipSource(
        segments=(SegmentRef(out_dir / files.video, 0, n),),
        head=tuple(out_dir / p for p in files.head),
        tail=tuple(out_dir / p for p in files.tail),
        width=w,
        height=h,
        fps=fps,
        num_frames=n,
    )


# --- measurements -------------------------------------------------------------------------------


def grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def luma(frame: np.ndarray) -> float:
    return float(grey(frame).mean())


def saturation(frame: np.ndarray) -> float:
    return float(cv2.cvtColor(frame, cv2.COLOR_RGB2HSV)[:, :, 1].mean())


def contrast(frame: np.ndarray) -> float:
    return float(grey(frame).std())


def figure_mask(frame: np.ndarray) -> np.ndarray:
    """Pixels of the saturated figure colours (the grey-box set is desaturated)."""
    hsv = cv2.cvtColor(frame, cv2.COLOR_RGB2HSV)
    return ((hsv[:, :, 1] > 110) & (hsv[:, :, 2] > 50)).astype(np.uint8)


def blobs(frame: np.ndarray, min_frac: float = 0.002) -> list[dict]:
    """Connected saturated regions, largest first: area, bbox (x, y, w, h), centroid."""
    mask = figure_mask(frame)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    n, _, stats, cents = cv2.connectedComponentsWithStats(mask, connectivity=8)
    min_area = min_frac * frame.shape[0] * frame.shape[1]
    out = [
        {
            "area": int(stats[i, cv2.CC_STAT_AREA]),
            "bbox": tuple(int(v) for v in stats[i, :4]),
            "centroid": (float(cents[i][0]), float(cents[i][1])),
        }
        for i in range(1, n)
        if stats[i, cv2.CC_STAT_AREA] >= min_area
    ]
    return sorted(out, key=lambda b: -b["area"])


def subject_area(frame: np.ndarray) -> float:
    """Fraction of the frame covered by figures."""
    return float(figure_mask(frame).mean())


def subject_bbox_area(frame: np.ndarray) -> int:
    b = blobs(frame)
    assert b, "no subject found in the frame"
    x, y, w, h = b[0]["bbox"]
    return w * h


def subject_centroid(frame: np.ndarray) -> tuple[float, float]:
    b = blobs(frame)
    assert b, "no subject found in the frame"
    return b[0]["centroid"]


def mean_flow(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, float]:
    """Mean optical flow (dx, dy) from frame a to frame b (Farneback)."""
    flow = cv2.calcOpticalFlowFarneback(grey(a), grey(b), None, 0.5, 4, 21, 5, 5, 1.1, 0)
    if mask is not None:
        flow = flow[mask.astype(bool)]
    return float(flow[..., 0].mean()), float(flow[..., 1].mean())


def global_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Whole-frame translation a -> b by phase correlation."""
    (dx, dy), _ = cv2.phaseCorrelate(grey(a).astype(np.float64), grey(b).astype(np.float64))
    return float(dx), float(dy)


def horizon_row(frame: np.ndarray) -> float:
    """Row of the strongest bright-to-dark step down the frame (sky over ground), by column
    medians so figures and buildings do not move it."""
    g = cv2.GaussianBlur(grey(frame).astype(np.float32), (5, 5), 0)
    profile = np.median(g, axis=1)
    step = profile[:-4] - profile[4:]
    return float(np.argmax(step) + 2)


def dominant_line_angle(frame: np.ndarray) -> float:
    """Length-weighted median angle (degrees, -90..90) of the long near-horizontal edges."""
    edges = cv2.Canny(grey(frame), 40, 120)
    lines = cv2.HoughLinesP(
        edges, 1, np.pi / 360, threshold=30, minLineLength=frame.shape[1] // 4, maxLineGap=6
    )
    assert lines is not None, "no long lines found"
    angles, weights = [], []
    for x1, y1, x2, y2 in lines.reshape(-1, 4):
        ang = np.degrees(np.arctan2(-(y2 - y1), x2 - x1))
        ang = (ang + 90) % 180 - 90
        if abs(ang) < 40:
            angles.append(ang)
            weights.append(np.hypot(x2 - x1, y2 - y1))
    assert angles, "no near-horizontal lines found"
    order = np.argsort(angles)
    cum = np.cumsum(np.array(weights)[order])
    return float(np.array(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


def edge_density(frame: np.ndarray) -> float:
    return float((cv2.Canny(grey(frame), 50, 150) > 0).mean())


def mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two frames (0..255)."""
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def consecutive_diffs(frames) -> list[float]:
    return [mad(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
