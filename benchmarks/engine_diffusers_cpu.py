"""Diffusers engine on the CPU: the cost of the live preview, measured side by side in one run.

Tiny random-weight LTX-Video and Wan pipelines (the test suite's, built in code; nothing is
downloaded) generate the same request twice per round, interleaved: once with a progress
callback and a preview on EVERY step (the most the app can ask for; it normally asks every
0.25 s), once with no progress callback at all (no preview). Per-step times come from the time
between consecutive step callbacks (medians); the time spent making each preview is measured
inside the step callback. Target: a preview costs < 5 % of a step even for these tiny models,
whose steps are far cheaper than a real model's (a real model's share is smaller still). The
step-time ratio with / without previews is printed too; on a 2-core machine it is +-5 % noise.

    .venv/bin/python benchmarks/engine_diffusers_cpu.py [--rounds 5] [--steps 12] [--size 160x96]
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tiny models live in tests/

import torch  # noqa: E402

from engine.api import CollectingSink, TextToVideo  # noqa: E402
from engine.backends.diffusers import DiffusersEngine  # noqa: E402
from engine.backends.diffusers import preview as preview_mod  # noqa: E402
from tests.engine_diffusers.tiny_models import build_ltx, build_wan  # noqa: E402

log = logging.getLogger("benchmark")


class NullSink:
    def write(self, frame: Any) -> None:
        pass


def timed_steps(engine: DiffusersEngine, request: TextToVideo, with_preview: bool) -> dict:
    """Run one generation; return per-step gaps and the time spent making previews."""
    stamps: list[float] = []
    previews: list[float] = []
    original = preview_mod.StepCallback.__call__

    def spy(self, pipe, step, timestep, kwargs):  # type: ignore[no-untyped-def]
        stamps.append(time.perf_counter())
        before = self.preview_s
        out = original(self, pipe, step, timestep, kwargs)
        if self.preview_s > before:
            previews.append(self.preview_s - before)
        return out

    preview_mod.StepCallback.__call__ = spy  # type: ignore[method-assign]
    try:
        engine.generate(request, NullSink(), (lambda e: None) if with_preview else None)
    finally:
        preview_mod.StepCallback.__call__ = original  # type: ignore[method-assign]
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return {"gaps": gaps, "previews": previews}


def bench(
    name: str, model: Path, size: tuple[int, int], frames: int, fps: int, steps: int, rounds: int
) -> tuple[float, float, float, float]:
    engine = DiffusersEngine(preview_interval_s=0.0)
    w, h = size
    req = TextToVideo(
        prompt="wide shot, harbour at dawn, a ferry leaves",
        width=w,
        height=h,
        num_frames=frames,
        fps=Fraction(fps),
        steps=steps,
        model=str(model),
    )
    engine.generate(req, CollectingSink())  # load + warm up
    plain: list[float] = []
    shown: list[float] = []
    cost: list[float] = []
    for _ in range(rounds):
        a = timed_steps(engine, req, with_preview=False)
        b = timed_steps(engine, req, with_preview=True)
        plain += a["gaps"]
        shown += b["gaps"]
        cost += b["previews"]
    p, s = statistics.median(plain), statistics.median(shown)
    c = statistics.median(cost) if cost else 0.0
    print(
        f"{name:<10} {w}x{h} {frames:>3}f  step {p * 1000:7.1f} ms  with preview "
        f"{s * 1000:7.1f} ms  preview {c * 1000:6.2f} ms  ratio {s / p:5.3f}  "
        f"(preview/step {c / p:5.3f})"
    )
    return p, s, c, s / p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--size", default="160x96")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(
        f"{platform.platform()} | {platform.processor() or platform.machine()} | "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads | {time.strftime('%Y-%m-%d')}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ltx = build_ltx(root / "tiny-ltx")
        wan = build_wan(root / "tiny-wan", "t2v")
        results = [
            bench("LTX", ltx, (w, h), 17, 24, a.steps, a.rounds),
            bench("Wan 2.1", wan, (w, h), 17, 16, a.steps, a.rounds),
        ]
    share = max(r[2] / r[0] for r in results)
    ratio = max(r[3] for r in results)
    print(
        f"preview time / step time, worst: {share:.3f} (target < 0.05); step-time ratio with / "
        f"without previews, worst: {ratio:.3f} (noisy on a busy machine: +-5 %)"
    )


if __name__ == "__main__":
    main()
