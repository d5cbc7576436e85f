"""Long-shot drift: 12 chained windows with a deliberate per-window colour bias.

Window k of a "drifting model" comes out with a colour bias of k steps (+3 red, -3 blue and
+2 exposure per window, injected by the engine's test hook), so without matching the colour
walks away from join to join. The same chain is run with and without colour matching to the
first window's lossless tail, side by side, and the mean-colour error (max over R, G, B) and
the exposure error (CIE L*) of the last window against the first window's tail are printed.

Run: .venv/bin/python benchmarks/long_shot_drift.py
"""

from __future__ import annotations

import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine import api
from engine.color import frame_stats
from engine.job import run_job
from engine.media import load_png_frames
from engine.registry import get_engine

WINDOWS = 12
WINDOW = 48  # frames
SIZE = (640, 360)
BIAS_STEP = (3, 2, -3)  # RGB per window: redder, brighter, less blue


def chain(out: Path, color_match: bool) -> list[np.ndarray]:
    engine = get_engine("animatic")
    prev = None
    ref: tuple[Path, ...] = ()
    tails = []
    for k in range(WINDOWS):
        common = dict(
            prompt="MEDIUM, dusk, a woman stands by the rail, slow push in",
            width=SIZE[0],
            height=SIZE[1],
            num_frames=WINDOW,
            fps=Fraction(24),
            seed=3,
        )
        if prev is None:
            req = api.TextToVideo(**common)
        else:
            req = api.Extend(source=prev, direction="forward", color_reference=ref, **common)
        wdir = out / f"w{k:02d}"
        bias = [b * k for b in BIAS_STEP]
        res = run_job(engine, req, wdir, debug={"color_bias": bias} if k else None)
        f = res.files
        prev = f.source(wdir)
        if not ref and color_match:
            ref = prev.tail
        tails.append(np.stack(load_png_frames(prev.tail)))
    return tails


def errors(tails: list[np.ndarray]) -> tuple[float, float]:
    first, last = tails[0].astype(float), tails[-1].astype(float)
    colour = float(np.abs(first.mean(axis=(0, 1, 2)) - last.mean(axis=(0, 1, 2))).max())
    l_first = frame_stats(list(tails[0])).mean[0] * 100 / 255
    l_last = frame_stats(list(tails[-1])).mean[0] * 100 / 255
    return colour, abs(l_first - l_last)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        off = errors(chain(Path(tmp) / "off", False))
        t_off = time.perf_counter() - t
        t = time.perf_counter()
        on = errors(chain(Path(tmp) / "on", True))
        t_on = time.perf_counter() - t
    print(
        f"{WINDOWS} windows x {WINDOW} frames at {SIZE[0]}x{SIZE[1]}, bias {BIAS_STEP} per window"
    )
    print(
        f"without matching: last window colour error {off[0]:.1f}/255, exposure error "
        f"{off[1]:.1f} L*  ({t_off:.1f}s)"
    )
    print(
        f"with matching:    last window colour error {on[0]:.1f}/255, exposure error "
        f"{on[1]:.1f} L*  ({t_on:.1f}s, {t_on / t_off:.2f}x the time)"
    )


if __name__ == "__main__":
    main()
