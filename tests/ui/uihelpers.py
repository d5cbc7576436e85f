"""Helpers shared by the desktop app tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

JOB_TIMEOUT_MS = 60_000  # generous: a hang fails, a slow CI machine does not
SIZE = "320x176"


class DebugWorker:
    """The real WorkerClient with a fault injected (engine.worker's test hook)."""

    def __init__(self, debug: dict[str, Any] | None = None, grace_s: float = 1.0) -> None:
        from engine.worker import WorkerClient

        self.client = WorkerClient(grace_s=grace_s)
        self.debug = debug

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.run(*args, debug=self.debug, **kwargs)

    def close(self) -> None:
        self.client.close()


BITS = 8


def index_frame(i: int, width: int = 320, height: int = 176) -> np.ndarray:
    """Frame ``i`` of an index-coded clip: 8 vertical bands, band k white when bit k of i is
    set (robust to compression, scaling and colour conversion)."""
    a = np.full((height, width, 3), 16, np.uint8)
    for k in range(BITS):
        if i >> k & 1:
            a[:, k * width // BITS : (k + 1) * width // BITS] = 235
    return a


def frame_index(rgb: np.ndarray) -> int:
    """Which frame of an index-coded clip this picture is."""
    h, w = rgb.shape[:2]
    out = 0
    for k in range(BITS):
        x0, x1 = k * w // BITS, (k + 1) * w // BITS
        band = rgb[h // 4 : 3 * h // 4, x0 + (x1 - x0) // 4 : x1 - (x1 - x0) // 4]
        if float(band.mean()) > 128:
            out |= 1 << k
    return out


def make_index_clip(
    path: Path, frames: int, width: int = 320, height: int = 176, fps: int = 24
) -> Path:
    """An H.264 clip (GOP 12, B-frames) of index-coded frames (see :func:`index_frame`)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.codec_context.gop_size = 12
        s.options = {
            "crf": "18",
            "preset": "veryfast",
            "x264-params": "keyint=12:min-keyint=12:scenecut=0",
        }
        for i in range(frames):
            vf = av.VideoFrame.from_ndarray(index_frame(i, width, height), format="rgb24")
            vf.pts = i
            vf.time_base = Fraction(1, fps)
            for pk in s.encode(vf):
                c.mux(pk)
        for pk in s.encode():
            c.mux(pk)
    return path


def error_texts() -> list[str]:
    """Texts of the error dialogs on screen."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    return [
        w.text()
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible()
    ]


def close_errors() -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMessageBox) and w.isVisible():
            w.close()


def card_labels(window: Any) -> list[str]:
    tl = window.timeline
    return [tl.card_text(i).label for i in range(len(tl.shot_ids()))]


def wait_cards_done(qtbot: Any, window: Any, timeout: int = JOB_TIMEOUT_MS) -> None:
    def done() -> None:
        tl = window.timeline
        n = len(tl.shot_ids())
        assert n > 0
        assert all(tl.card_text(i).status == "Done" for i in range(n)), [
            tl.card_text(i).status for i in range(n)
        ]
        assert all(tl.has_thumbnail(i) for i in range(n))

    qtbot.waitUntil(done, timeout=timeout)
