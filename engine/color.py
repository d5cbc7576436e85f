"""Colour and exposure matching between windows of a long shot.

A long shot is made window by window, each continuing from the previous one's tail; small
per-window shifts in colour and exposure compound from join to join. Every frame of a later
window is corrected with an affine transform per channel in CIE Lab (Reinhard-style statistics
transfer) that maps a slowly moving average of the window's statistics onto reference
statistics taken from the first window's lossless tail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.api import FrameSink

MAX_GAIN = 2.0  # never amplify contrast more than this (a flat window stays flat)


@dataclass(frozen=True)
class ColorStats:
    mean: tuple[float, float, float]  # Lab, OpenCV 8-bit scale
    std: tuple[float, float, float]

    def as_dict(self) -> dict[str, list[float]]:
        return {"mean": [round(v, 3) for v in self.mean], "std": [round(v, 3) for v in self.std]}


def _lab(frame: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2LAB).astype(np.float32)


def frame_stats(frames: Sequence[np.ndarray]) -> ColorStats:
    """Mean and standard deviation per Lab channel over ``frames`` (RGB uint8)."""
    if not frames:
        raise ValueError("no frames to measure")
    lab = np.stack([_lab(f)[::2, ::2] for f in frames]).reshape(-1, 3)
    mean = lab.mean(axis=0)
    std = lab.std(axis=0)
    return ColorStats(tuple(float(v) for v in mean), tuple(float(v) for v in std))  # type: ignore[arg-type]


def stats_of_files(paths: Sequence[Path]) -> ColorStats:
    from engine.media import load_png_frames

    return frame_stats(load_png_frames(paths))


def correction(src: ColorStats, ref: ColorStats) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (gain, offset) in Lab that maps ``src`` statistics onto ``ref``."""
    s_mean, s_std = np.array(src.mean), np.array(src.std)
    r_mean, r_std = np.array(ref.mean), np.array(ref.std)
    gain = np.where(s_std > 1e-3, r_std / np.maximum(s_std, 1e-3), 1.0)
    gain = np.clip(gain, 1 / MAX_GAIN, MAX_GAIN)
    offset = r_mean - gain * s_mean
    return gain.astype(np.float32), offset.astype(np.float32)


def apply_correction(frame: np.ndarray, gain: np.ndarray, offset: np.ndarray) -> np.ndarray:
    import cv2

    lab = _lab(frame) * gain + offset
    lab = np.clip(lab, 0, 255).astype(np.uint8)
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


class ColorMatchSink:
    """A sink that holds a window's colour and exposure to reference statistics.

    Each frame's Lab statistics feed a slowly moving average (like a camera's auto exposure,
    time constant ~``1/alpha`` frames); the correction that maps that average onto the reference
    is applied to the frame. A window that comes out shifted (or drifts inside itself, as a
    window that starts from a shifted tail does) is pulled back, while cuts of action inside the
    frame barely move the average.
    """

    def __init__(self, sink: FrameSink, reference: ColorStats, alpha: float = 0.15) -> None:
        self.sink = sink
        self.reference = reference
        self.alpha = alpha
        self._mean: np.ndarray | None = None
        self._std: np.ndarray | None = None
        self.first_measured: ColorStats | None = None
        self.frames = 0
        self._max_offset = np.zeros(3, np.float32)

    def write(self, frame: np.ndarray) -> None:
        st = frame_stats([frame])
        m, sd = np.array(st.mean), np.array(st.std)
        if self._mean is None:
            self._mean, self._std = m, sd
            self.first_measured = st
        else:
            a = self.alpha
            self._mean = (1 - a) * self._mean + a * m
            self._std = (1 - a) * self._std + a * sd  # type: ignore[operator]
        gain, offset = correction(
            ColorStats(tuple(self._mean), tuple(self._std)),
            self.reference,  # type: ignore[arg-type]
        )
        self._max_offset = np.maximum(self._max_offset, np.abs(self.reference.mean - self._mean))
        self.sink.write(apply_correction(frame, gain, offset))
        self.frames += 1

    def flush(self) -> None:
        """Nothing is held back; kept so callers can treat every sink alike."""

    def describe(self) -> dict[str, object]:
        return {
            "reference": self.reference.as_dict(),
            "first_measured": self.first_measured.as_dict() if self.first_measured else None,
            "largest_correction_lab": [round(float(v), 2) for v in self._max_offset],
            "alpha": self.alpha,
        }
