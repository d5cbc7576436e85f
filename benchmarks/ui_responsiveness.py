"""UI responsiveness: event-loop stalls of the real main window.

A QTimer on the GUI thread fires every 5 ms and records the gap since its previous tick; a
stall is a gap longer than the interval. Measured side by side in one run:

1. idle: the window open on a project, nothing happening (the baseline);
2. a generation job running (animatic engine, real worker process, live progress and previews
   flowing through the bridge into the job panel and the timeline card);
3. a 500-shot sequence with thumbnails scrolled end to end in timeline and board modes, cold
   (thumbnails loaded while scrolling) and warm, while the same monitor runs; plus the cost of
   opening that sequence (one refresh).

Target: the longest stall while a job runs, and while scrolling 500 shots, under 50 ms.

    .venv/bin/python benchmarks/ui_responsiveness.py [--frames 96] [--size 640x360]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TICK_MS = 5


class StallMonitor:
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import Qt, QTimer

        self.app = app
        self.gaps: list[float] = []
        self._last = 0.0
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last:
            self.gaps.append((now - self._last) * 1000)
        self._last = now

    def start(self) -> None:
        self.gaps = []
        self._last = 0.0
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        g = sorted(self.gaps) or [0.0]
        return {
            "ticks": len(self.gaps),
            "max_ms": g[-1],
            "p99_ms": g[min(len(g) - 1, int(len(g) * 0.99))],
            "median_ms": statistics.median(g),
            "over_50ms": sum(1 for x in g if x > 50),
        }


def spin(app, seconds: float, until=None) -> bool:  # type: ignore[no-untyped-def]
    """Run the event loop for ``seconds`` (or until ``until()`` is true)."""
    end = time.perf_counter() + seconds
    next_check = 0.0
    while time.perf_counter() < end:
        app.processEvents()
        now = time.perf_counter()
        # the condition may query the project: check it rarely, so the measuring loop does
        # not add work of its own to the GUI thread
        if until is not None and now >= next_check:
            if until():
                return True
            next_check = now + 0.1
        time.sleep(0.001)
    return until() if until is not None else True


def build_big_project(folder: Path, shots: int, size: tuple[int, int]) -> Path:
    """A sequence of ``shots`` shots, each with a take whose thumbnail is a real JPEG."""
    import cv2
    import numpy as np

    from previz.core.values import SegmentInfo
    from previz.services.project import ProjectService
    from previz.services.takes import NEW, NewTake, install_take

    svc = ProjectService.create(folder, fps="24", size=f"{size[0]}x{size[1]}")
    rng = np.random.default_rng(1)
    try:
        for i in range(shots):
            frames = int(rng.integers(36, 144))
            shot = svc.add_shot(
                prompt=f"WIDE, dusk, shot {i}, slow push in", duration_frames=frames
            )
            scratch = folder / "media" / ".jobs" / f"bench-{i}"
            scratch.mkdir(parents=True)
            (scratch / "clip.mp4").write_bytes(os.urandom(2048))
            thumb = np.zeros((180, 320, 3), np.uint8)
            thumb[:] = rng.integers(30, 200, 3)
            cv2.rectangle(
                thumb,
                (40 + i % 200, 40),
                (140 + i % 200, 160),
                tuple(int(c) for c in rng.integers(0, 255, 3)),
                -1,
            )
            cv2.putText(thumb, str(i), (20, 170), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 2)
            cv2.imwrite(str(scratch / "thumb.jpg"), thumb)
            install_take(
                svc,
                shot.id,
                scratch,
                NewTake(
                    operation="generate",
                    engine="bench",
                    prompt="p",
                    expanded_prompt="p",
                    seed=i,
                    width=size[0],
                    height=size[1],
                    fps=Fraction(24),
                    recipe={},
                    segments=(SegmentInfo(NEW + "clip.mp4", 0, frames, ""),),
                    thumbnail=NEW + "thumb.jpg",
                ),
            )
    finally:
        svc.close()
    return folder


def scroll_through(app, window, mode: str, monitor: StallMonitor) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Scroll the timeline end to end with wheel-sized steps every 16 ms, repainting."""
    tl = window.timeline
    window.set_view_mode(mode)
    spin(app, 0.2)
    bar = tl.horizontalScrollBar() if mode == "timeline" else tl.verticalScrollBar()
    bar.setValue(0)
    spin(app, 0.1)
    step = 120
    paint_ms: list[float] = []
    monitor.start()
    value = 0
    while value < bar.maximum():
        value = min(bar.maximum(), value + step)
        t0 = time.perf_counter()
        bar.setValue(value)
        tl.viewport().repaint()  # synchronous paint: what one scroll step costs
        paint_ms.append((time.perf_counter() - t0) * 1000)
        spin(app, 0.016)
    stats = monitor.stop()
    stats["steps"] = len(paint_ms)
    stats["paint_max_ms"] = max(paint_ms) if paint_ms else 0.0
    stats["paint_median_ms"] = statistics.median(paint_ms) if paint_ms else 0.0
    return stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=96, help="frames of the generated shot")
    ap.add_argument("--size", default="640x360", help="sequence size for the generation job")
    ap.add_argument("--shots", type=int, default=500, help="shots in the scroll test")
    ap.add_argument("--idle-s", type=float, default=3.0)
    args = ap.parse_args()
    w_, h_ = (int(v) for v in args.size.split("x"))

    tmp = Path(tempfile.mkdtemp(prefix="previz-bench-"))
    os.environ["PREVIZ_CONFIG_DIR"] = str(tmp / "config")
    from PySide6.QtWidgets import QApplication

    from previz.services.project import ProjectService
    from previz.ui.main_window import QtMainWindow
    from previz.ui.theme import apply_theme

    app = QApplication([])
    apply_theme(app)
    monitor = StallMonitor(app)
    results: dict[str, dict[str, float]] = {}
    try:
        # --- generation while the window is live -------------------------------------------
        gen_path = tmp / "Gen.previz"
        svc = ProjectService.create(gen_path, fps="24", size=f"{w_}x{h_}")
        svc.add_shot(
            prompt="WIDE, dusk, rain, a woman walks right, slow dolly in",
            duration_frames=args.frames,
        )
        svc.add_shot(prompt="CU, night, a man, handheld", duration_frames=24)
        svc.close()
        window = QtMainWindow(restore_layout=False)
        window.resize(1600, 1000)
        window.show()
        window.open_project(gen_path)
        spin(app, 1.0)
        # warm the worker so the job figure is the job, not the process start
        window.actions.generate([window.timeline.shot_ids()[1]])
        assert spin(app, 60, lambda: window.svc.shots()[1].status == "done"), "warm-up job"
        spin(app, 0.5)

        monitor.start()
        spin(app, args.idle_s)
        results["idle (window open, nothing running)"] = monitor.stop()

        sid = window.timeline.shot_ids()[0]
        window.actions.generate([sid])
        spin(app, 10, lambda: window.svc.shot(sid).status == "generating")
        t0 = time.perf_counter()
        monitor.start()
        done = spin(app, 120, lambda: window.svc.shot(sid).status in ("done", "failed"))
        stats = monitor.stop()
        stats["job_s"] = time.perf_counter() - t0
        assert done and window.svc.shot(sid).status == "done", "the job did not finish"
        results[f"generation job running ({w_}x{h_}, {args.frames} frames)"] = stats
        window.close()

        # --- 500 shots ------------------------------------------------------------------------
        t0 = time.perf_counter()
        big = build_big_project(tmp / "Big.previz", args.shots, (1280, 720))
        build_s = time.perf_counter() - t0
        window = QtMainWindow(restore_layout=False)
        window.resize(1600, 1000)
        window.show()
        spin(app, 0.3)
        t0 = time.perf_counter()
        window.open_project(big)
        open_ms = (time.perf_counter() - t0) * 1000
        spin(app, 0.3)
        t0 = time.perf_counter()
        window.refresh_now()
        refresh_ms = (time.perf_counter() - t0) * 1000
        # edits in a long sequence: each one is a command plus one refresh of the window
        ids = window.timeline.shot_ids()
        window.timeline.select([ids[args.shots // 2]], ids[args.shots // 2])
        spin(app, 0.3)
        monitor.start()
        for i in range(20):
            window.inspector.set_prompt_text(f"WIDE, dusk, edited {i}, slow push in")
            window.inspector.commit()
            spin(app, 0.1)
        results[f"20 prompt edits, {args.shots}-shot sequence"] = monitor.stop()
        monitor.start()
        for i in range(10):  # trims change the cut: the player's playlist is rebuilt
            window.svc.trim_shot(ids[args.shots // 2], i, None)
            spin(app, 0.1)
        results[f"10 trims, {args.shots}-shot sequence"] = monitor.stop()
        window.thumbs.clear()
        results[f"scroll {args.shots} shots, timeline, cold thumbnails"] = scroll_through(
            app, window, "timeline", monitor
        )
        results[f"scroll {args.shots} shots, timeline, warm"] = scroll_through(
            app, window, "timeline", monitor
        )
        window.thumbs.clear()
        results[f"scroll {args.shots} shots, board, cold thumbnails"] = scroll_through(
            app, window, "board", monitor
        )
        results[f"scroll {args.shots} shots, board, warm"] = scroll_through(
            app, window, "board", monitor
        )
        window.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"# UI responsiveness — {time.strftime('%Y-%m-%d')} — {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')}"
    )
    print(f"timer interval {TICK_MS} ms; a stall is the gap between two ticks")
    print(f"{'case':58s} {'max':>8s} {'p99':>7s} {'median':>7s} {'>50ms':>6s}  extra")
    for name, s in results.items():
        extra = []
        if "job_s" in s:
            extra.append(f"job {s['job_s']:.1f}s")
        if "steps" in s:
            extra.append(
                f"{int(s['steps'])} steps, paint max {s['paint_max_ms']:.1f} ms "
                f"median {s['paint_median_ms']:.1f} ms"
            )
        print(
            f"{name:58s} {s['max_ms']:7.1f}ms {s['p99_ms']:6.1f}ms {s['median_ms']:6.1f}ms "
            f"{int(s['over_50ms']):6d}  {', '.join(extra)}"
        )
    print(
        f"500-shot project: built in {build_s:.1f}s; open {open_ms:.0f} ms; "
        f"one full refresh {refresh_ms:.0f} ms"
    )
    job = next(v for k, v in results.items() if k.startswith("generation"))
    idle = next(v for k, v in results.items() if k.startswith("idle"))
    worst_scroll = max(v["max_ms"] for k, v in results.items() if k.startswith("scroll"))
    worst_edit = max(v["max_ms"] for k, v in results.items() if "-shot sequence" in k)
    print(
        f"longest stall: idle {idle['max_ms']:.1f} ms, job {job['max_ms']:.1f} ms "
        f"(target < 50), scrolling {worst_scroll:.1f} ms (target < 50), "
        f"editing {worst_edit:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
