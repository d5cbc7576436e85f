"""Region edits on the animatic: how long an inpaint and a cinemagraph take next to the take
they edit, and how exactly they keep what lies outside the mask.

Baseline, in the same run: the text-to-video take the edits start from (same size, same frame
count, same job path: render + H.264 encode + lossless head/tail). Each edit is timed through
`engine.job.run_job` like a real job (best of --repeats) and its frames are decoded to measure:

- outside: the mean absolute difference from the source's decoded frames (grey levels) where
  `engine.masks.protected` says the edit may not touch, worst frame; the contract is <= 2;
- inside: the same inside the mask, mean over the frames (how much the edit changed there).

Also the cost of one interpolated mask between two keys (`MaskTrack.at`), which the app's mask
tool pays per frame while a keyed mask is shown.

    .venv/bin/python benchmarks/region_edits.py [--size 1280x720] [--frames 120] [--repeats 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPT = "WIDE, dusk, a red car parked by a kiosk, a man walks left along the harbour, rain"


def best(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    n = a.frames

    from engine.api import Cinemagraph, Inpaint, MaskKey, TextToVideo
    from engine.backends.animatic import AnimaticEngine
    from engine.job import run_job
    from engine.masks import MaskTrack, box_mask, protected, write_mask
    from engine.media import _write_png, read_frames

    eng = AnimaticEngine()
    tmp = Path(tempfile.mkdtemp(prefix="previz-bench-regions-"))
    runs = iter(range(10_000))

    def job(req):  # type: ignore[no-untyped-def]
        """Run `req` as a job; its output's ClipSource (with the recipe) in its own folder."""
        folder = tmp / f"j{next(runs)}"
        out = run_job(eng, req, folder)
        return dataclasses.replace(out.files.source(folder), recipe=out.result.recipe)

    t2v = TextToVideo(prompt=PROMPT, width=w, height=h, num_frames=n, fps=24, seed=3)
    base_s, src = best(lambda: job(t2v), a.repeats)
    source = list(read_frames(src.segments))

    box = (w // 2, h // 3, w // 4, h // 2)
    held = box_mask(w, h, *box)
    write_mask(tmp / "held.png", held)
    k0, k1 = box_mask(w, h, w // 2 - w // 8, h // 3, w // 4, h // 2), box_mask(w, h, *box)
    write_mask(tmp / "k0.png", k0)
    write_mask(tmp / "k1.png", k1)
    track = MaskTrack([(0, k0), (n - 1, k1)])
    edit = PROMPT.replace("red car", "blue van")

    def measure(req, masks_at):  # type: ignore[no-untyped-def]
        secs, made = best(lambda: job(req), a.repeats)
        frames = list(read_frames(made.segments))
        outside, inside = 0.0, []
        for i, (f, s) in enumerate(zip(frames, source, strict=True)):
            m = masks_at(i)
            d = np.abs(f.astype(np.int16) - s.astype(np.int16))
            outside = max(outside, float(d[protected(m, req.feather)].mean()))
            inside.append(float(d[m].mean()))
        return secs, outside, float(np.mean(inside))

    rows = []
    inp = Inpaint.for_source(src, prompt=edit, masks=(MaskKey(tmp / "held.png"),), seed=3)
    rows.append(("inpaint, held box", *measure(inp, lambda i: held)))
    keyed = dataclasses.replace(
        inp, masks=(MaskKey(tmp / "k0.png", 0), MaskKey(tmp / "k1.png", n - 1))
    )
    rows.append(("inpaint, keyed box (moving)", *measure(keyed, track.at)))

    still = tmp / "still.png"
    _write_png(still, source[n // 2])
    sky = box_mask(w, h, 0, 0, w, h // 3)
    write_mask(tmp / "sky.png", sky)
    cine = Cinemagraph(
        image=still,
        mask=tmp / "sky.png",
        prompt="clouds drift, lamps flicker",
        width=w,
        height=h,
        num_frames=n,
        fps=24,
        seed=1,
        loop=True,
    )
    secs, made = best(lambda: job(cine), a.repeats)
    frames = list(read_frames(made.segments))
    keep = protected(sky, cine.feather)
    still_rgb = source[n // 2]
    outside = max(float(np.abs(f.astype(np.int16) - still_rgb)[keep].mean()) for f in frames)
    moves = float(
        np.median(
            [
                np.abs(b.astype(np.int16) - a_)[sky].mean()
                for a_, b in zip(frames, frames[1:], strict=False)
            ]
        )
    )
    rows.append(("cinemagraph from an image, looped", secs, outside, moves))

    t0 = time.perf_counter()
    for i in range(1, 11):
        track._cache.clear()
        track.at(i * (n - 1) // 12)
    mask_ms = (time.perf_counter() - t0) / 10 * 1000

    print(f"{w}x{h}, {n} frames, animatic; best of {a.repeats}")
    print(f"baseline: text to video of the source take: {base_s:.2f} s")
    print("| edit | time | vs the source take | outside the mask (worst frame) | inside |")
    print("|---|---|---|---|---|")
    for name, secs, outside, inside in rows:
        what = "frame-to-frame motion, median" if name.startswith("cinemagraph") else "mean change"
        print(
            f"| {name} | {secs:.2f} s | {secs / base_s:.2f}x | {outside:.2f} | "
            f"{inside:.1f} ({what}) |"
        )
    print(f"one interpolated mask between two keys (MaskTrack.at): {mask_ms:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
