"""Animatic engine speed, as a multiple of real time, measured side by side in one run.

1. Render alone on ONE core (process pinned to one CPU, OpenCV and BLAS single-threaded):
   640x360, 1280x720 and 1920x1080, 5 s at 24 fps, for a typical and a heavy prompt.
   Target: 1280x720 >= 3x real time (>= 72 fps).
2. Render + encode (ClipWriter: H.264 superfast CRF 20, head/tail PNGs, thumbnail), on one core
   (x264 single-threaded) and on all cores. Target: faster than real time.
3. Cancel latency through the WorkerClient: time from CancelToken.cancel() to Cancelled raised
   during a long 1280x720 render. Target: < 1 s.

4. With ``--compare COMMIT``: the renderer of that commit (engine/backends/animatic from
   ``git show COMMIT:path`` into a temp package) against this one, side by side in one run,
   interleaved, best of ``--repeats``, on the typical and heavy prompts at 1280x720.

    .venv/bin/python benchmarks/engine_animatic.py [--seconds 5] [--cancels 5]
    .venv/bin/python benchmarks/engine_animatic.py --compare 385091d [--repeats 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402

from engine.api import Cancelled, CancelToken, TextToVideo  # noqa: E402
from engine.backends.animatic import AnimaticEngine  # noqa: E402
from engine.backends.animatic.grammar import parse_prompt  # noqa: E402
from engine.backends.animatic.render import ShotRenderer  # noqa: E402
from engine.media import ClipWriter  # noqa: E402

SIZES = [(640, 360), (1280, 720), (1920, 1080)]
PROMPTS = {
    "typical": "wide shot, two people walk left, slow pan right, dusk",
    "heavy": "dutch angle medium shot, a detective and a crowd, night, rain, handheld, dolly in",
}
FPS = Fraction(24)


class NullSink:
    def write(self, frame) -> None:
        pass


def render_only(prompt: str, w: int, h: int, n: int) -> float:
    r = ShotRenderer(parse_prompt(prompt), w, h, seed=1, duration=float(n / FPS))
    r.frame_at(0.0)  # warm caches
    t0 = time.perf_counter()
    for i in range(n):
        r.frame_at(float(i / FPS))
    return time.perf_counter() - t0


def render_and_encode(prompt: str, w: int, h: int, n: int, threads: int) -> float:
    engine = AnimaticEngine()
    req = TextToVideo(prompt=prompt, width=w, height=h, num_frames=n, fps=FPS, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        writer = ClipWriter(Path(tmp), w, h, FPS, threads=threads, expected_frames=n)
        engine.generate(req, writer)
        writer.close()
        return time.perf_counter() - t0


def cancel_latency(repeats: int) -> tuple[list[float], float]:
    from engine.worker import WorkerClient

    req = TextToVideo(prompt=PROMPTS["heavy"], width=1280, height=720, num_frames=1200, fps=FPS)
    latencies = []
    with WorkerClient(grace_s=2.0) as client, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        client.start()
        small = TextToVideo(prompt="a man", width=64, height=64, num_frames=1)
        client.run(small, Path(tmp) / "warm", None, CancelToken())
        cold_start = time.perf_counter() - t0
        for k in range(repeats):
            token = CancelToken()
            stamp: dict[str, float] = {}

            def on_event(e, token=token, stamp=stamp) -> None:
                if e.step == 10 and "cancel" not in stamp:
                    stamp["cancel"] = time.perf_counter()
                    token.cancel()

            try:
                client.run(req, Path(tmp) / f"job{k}", on_event, token)
            except Cancelled:
                latencies.append(time.perf_counter() - stamp["cancel"])
    return latencies, cold_start


def fmt(seconds_of_video: float, elapsed: float, n: int) -> str:
    return f"{seconds_of_video / elapsed:6.1f}x ({n / elapsed:6.1f} fps)"


def old_renderer(commit: str, tmp: Path):
    """(parse_prompt, ShotRenderer) of the animatic at `commit`, loaded as a temp package."""
    import importlib
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    pkg = tmp / "animatic_old"
    pkg.mkdir()
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", commit, "engine/backends/animatic/"],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    for name in names:
        if not name.endswith(".py"):
            continue
        src = subprocess.run(
            ["git", "show", f"{commit}:{name}"], cwd=root, check=True, capture_output=True,
            text=True,
        ).stdout  # fmt: skip
        src = src.replace("engine.backends.animatic", "animatic_old")
        (pkg / Path(name).name).write_text(src)
    sys.path.insert(0, str(tmp))
    grammar = importlib.import_module("animatic_old.grammar")
    render = importlib.import_module("animatic_old.render")
    return grammar.parse_prompt, render.ShotRenderer


def compare(commit: str, n: int, repeats: int) -> None:
    w, h = 1280, 720
    video_s = float(n / FPS)
    with tempfile.TemporaryDirectory() as tmp:
        old_parse, old_cls = old_renderer(commit, Path(tmp))
        print(f"## renderer at {commit} vs this tree, {w}x{h}, {n} frames, best of {repeats}")
        print(f"{'prompt':>8} | {'old':>22} | {'new':>22} | new/old time")
        for name, prompt in PROMPTS.items():
            best = {"old": 1e9, "new": 1e9}
            for _ in range(repeats):
                for key, parse, cls in (
                    ("old", old_parse, old_cls),
                    ("new", parse_prompt, ShotRenderer),
                ):
                    r = cls(parse(prompt), w, h, seed=1, duration=video_s)
                    r.frame_at(0.0)
                    t0 = time.perf_counter()
                    for i in range(n):
                        r.frame_at(float(i / FPS))
                    best[key] = min(best[key], time.perf_counter() - t0)
            print(
                f"{name:>8} | {fmt(video_s, best['old'], n)} | {fmt(video_s, best['new'], n)} | "
                f"{best['new'] / best['old']:.2f}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--cancels", type=int, default=5)
    ap.add_argument("--compare", metavar="COMMIT", help="old renderer vs this one, then exit")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    n = int(round(args.seconds * FPS))
    video_s = float(n / FPS)
    if args.compare:
        cv2.setNumThreads(1)
        compare(args.compare, n, args.repeats)
        e = render_and_encode(PROMPTS["typical"], 1280, 720, n, threads=0)
        print(
            f"\ntypical 1280x720 render + encode (the job's path), all cores: {fmt(video_s, e, n)}"
        )
        return

    print(f"# animatic engine benchmark — {time.strftime('%Y-%m-%d')}")
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, OpenCV {cv2.__version__}"
    )
    print(
        f"# clips: {args.seconds:g} s at {FPS} fps = {n} frames; multiple of real time "
        "(higher is better)\n"
    )

    all_cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if all_cpus:
        os.sched_setaffinity(0, {min(all_cpus)})
    cv2.setNumThreads(1)
    print("## one core (process pinned to one CPU, OpenCV/BLAS/x264 single-threaded)")
    print(f"{'size':>10} {'prompt':>8} | {'render':>22} | {'render+encode':>22}")
    for w, h in SIZES:
        for name, prompt in PROMPTS.items():
            r = render_only(prompt, w, h, n)
            e = render_and_encode(prompt, w, h, n, threads=1)
            print(f"{w:>5}x{h:<4} {name:>8} | {fmt(video_s, r, n)} | {fmt(video_s, e, n)}")

    if all_cpus:
        os.sched_setaffinity(0, all_cpus)
    cv2.setNumThreads(0)
    print(f"\n## all cores ({len(all_cpus) if all_cpus else os.cpu_count()}; x264 threads=auto)")
    print(f"{'size':>10} {'prompt':>8} | {'render+encode':>22}")
    for w, h in SIZES:
        for name, prompt in PROMPTS.items():
            e = render_and_encode(prompt, w, h, n, threads=0)
            print(f"{w:>5}x{h:<4} {name:>8} | {fmt(video_s, e, n)}")

    lat, cold = cancel_latency(args.cancels)
    print("\n## cancel latency through WorkerClient (1280x720 heavy render, cancel at frame 10)")
    print(f"worker cold start + first tiny job: {cold:.2f} s")
    if lat:
        print(
            f"cancel -> Cancelled: median {statistics.median(lat) * 1000:.0f} ms, "
            f"max {max(lat) * 1000:.0f} ms over {len(lat)} runs (target < 1000 ms)"
        )
    else:
        print("cancel -> Cancelled: no run was cancelled (the job finished first?)")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
