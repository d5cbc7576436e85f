"""Synthetic media for the export tests: each shot a distinct solid colour with its frame
number coded as an 8-bit black/white bar strip, so frames survive H.264 and can be identified."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from previz.export.plan import ReelOptions, ReelPlan, Segment, SequencePlan, ShotItem, Transition

W, H = 160, 90
BITS = 8
STRIP = 0.25  # bottom quarter of the frame holds the frame-number bars

COLORS = [
    (220, 40, 40),
    (40, 200, 60),
    (50, 80, 230),
    (230, 210, 40),
    (200, 60, 210),
    (40, 210, 210),
]


def clip_frame(color: tuple[int, int, int], index: int, w: int = W, h: int = H) -> np.ndarray:
    img = np.empty((h, w, 3), np.uint8)
    img[...] = color
    top = int(h * (1 - STRIP))
    for b in range(BITS):
        x0, x1 = b * w // BITS, (b + 1) * w // BITS
        img[top:, x0:x1] = 255 if (index >> b) & 1 else 0
    return img


def make_clip(
    path: Path,
    frames: int,
    fps: Fraction | int = 24,
    color: tuple[int, int, int] = (220, 40, 40),
    size: tuple[int, int] = (W, H),
    gop: int = 6,
    bframes: int = 2,
    first_index: int = 0,
) -> Path:
    """An H.264 MP4 (yuv420p, closed short GOP) like the ones the engine writes."""
    fps = Fraction(fps)
    w, h = size
    with av.open(str(path), "w") as c:
        s = c.add_stream(
            "libx264",
            rate=fps,
            options={
                "preset": "ultrafast",
                "crf": "12",
                "g": str(gop),
                "bf": str(bframes),
                "keyint_min": str(gop),
                "sc_threshold": "0",
            },
        )
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(frames):
            vf = av.VideoFrame.from_ndarray(
                clip_frame(color, first_index + i, w, h), format="rgb24"
            )
            vf.pts = i
            vf.time_base = 1 / fps
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def read_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def frame_color(img: np.ndarray) -> np.ndarray:
    """Mean colour of the picture area (above the bar strip), central region."""
    h, w = img.shape[:2]
    return img[int(h * 0.3) : int(h * 0.6), int(w * 0.3) : int(w * 0.7)].reshape(-1, 3).mean(0)


def frame_number(img: np.ndarray) -> int:
    h, w = img.shape[:2]
    y = int(h * (1 - STRIP / 2))
    n = 0
    for b in range(BITS):
        x = int((b + 0.5) * w / BITS)
        if img[y - 2 : y + 3, x - 2 : x + 3].mean() > 128:
            n |= 1 << b
    return n


def close(c1, c2, tol: float = 30.0) -> bool:
    return float(np.abs(np.asarray(c1, float) - np.asarray(c2, float)).max()) <= tol


def which_color(img: np.ndarray) -> int:
    """Index into COLORS of the closest shot colour (-1 if none is close)."""
    c = frame_color(img)
    d = [np.abs(c - np.array(col)).max() for col in COLORS]
    k = int(np.argmin(d))
    return k if d[k] <= 35 else -1


def bare_options(**kw) -> ReelOptions:
    """No slate, cards or burn-ins: picture only."""
    base = dict(head_slate=False, scene_cards=False, burnins=None, quality="draft")
    base.update(kw)
    return ReelOptions(**base)


def shot(
    label: str,
    clip: Path | None,
    frames: int,
    fps: Fraction | int = 24,
    *,
    trim_in: int = 0,
    trim_out: int | None = None,
    take: int | None = 1,
    planned: int = 0,
    transition: Transition | None = None,
    size: tuple[int, int] = (W, H),
    **kw,
) -> ShotItem:
    scene, _, code = label.partition("/")
    return ShotItem(
        label=label,
        scene=scene,
        code=code,
        take_number=take if clip is not None else None,
        segments=(Segment(clip, 0, frames),) if clip is not None else (),
        source_fps=Fraction(fps),
        source_size=size,
        trim_in=trim_in,
        trim_out=trim_out,
        planned_frames=planned,
        prompt=kw.pop("prompt", f"prompt for {label}"),
        transition_in=transition or Transition(),
        recipe=kw.pop("recipe", {"model": "animatic", "seed": 7, "prompt": f"prompt for {label}"}),
        **kw,
    )


def reel(items, fps: Fraction | int = 24, name: str = "Test", size=(W, H), **kw) -> ReelPlan:
    return ReelPlan(
        project_name=name,
        fps=Fraction(fps),
        width=size[0],
        height=size[1],
        sequences=(SequencePlan(name="Scene 1", scene="1", items=tuple(items), **kw),),
    )


@pytest.fixture(scope="session")
def clipdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def clips(clipdir):
    """A small library of clips: key (fps, color index, frames) -> path, made on demand."""
    made: dict[tuple, Path] = {}

    def get(fps=24, color=0, frames=24, size=(W, H), gop=6) -> Path:
        key = (Fraction(fps), color, frames, size, gop)
        if key not in made:
            name = f"c{color}_{str(Fraction(fps)).replace('/', '_')}_{frames}_{size[0]}x{size[1]}_{gop}.mp4"
            made[key] = make_clip(clipdir / name, frames, fps, COLORS[color], size, gop)
        return made[key]

    return get
