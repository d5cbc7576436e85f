"""One generation job in this process: an engine, a request, a `ClipWriter` in out_dir.

`run_job` is what the worker process runs for each job (and what a caller may use directly
when it does not need a separate process). On any failure or cancel, the files it wrote are
removed. The `debug` test hook injects faults; see `FAULTS`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.api import (
    CancelToken,
    Engine,
    FrameSink,
    GenerationRequest,
    GenerationResult,
    LongShot,
    ProgressCallback,
    RequestError,
)
from engine.media import HEAD_TAIL_FRAMES, ClipFiles, ClipWriter

__all__ = ["FAULTS", "JobOutput", "run_job", "window_dir"]

log = logging.getLogger(__name__)

# Test hook: faults a job can be asked to inject (honoured only by the worker process).
#   abort_at_frame: N    os.abort() when frame N is written (a crash, like a driver fault)
#   hang_at_frame: N     sleep forever at frame N, ignoring cancel (a stuck engine)
#   sleep_per_frame: S   sleep S seconds per frame (a slow engine, for cancel tests)
#   raise_at_frame: N    raise RuntimeError at frame N (an engine bug)
#   color_bias: [r,g,b]  add this to every frame the engine makes (a drifting model, for the
#                        long-shot colour-matching tests and the drift benchmark)
FAULTS = frozenset(
    {"abort_at_frame", "hang_at_frame", "sleep_per_frame", "raise_at_frame", "color_bias"}
)


@dataclass(frozen=True)
class JobOutput:
    """A finished job: the files written in out_dir and the engine's result (with the recipe).

    A `LongShot` job writes one clip per window in ``out_dir/wNN``: `windows` holds their files
    (paths relative to each window's folder) and `files` is the last window's.
    """

    files: ClipFiles
    result: GenerationResult
    windows: tuple[ClipFiles, ...] = ()
    window_recipes: tuple[dict[str, Any], ...] = ()


def window_dir(index: int) -> str:
    """The folder, inside a job's out_dir, of window ``index`` (0-based) of a long shot."""
    return f"w{index:02d}"


class _WindowWriters:
    """The sink of a `LongShot` job: one `ClipWriter` per window (``out_dir/wNN``), switched at
    the window boundaries; with colour matching, windows after the first are held to the first
    window's lossless tail (as chained windows are)."""

    def __init__(self, out_dir: Path, request: LongShot, head_tail_k: int) -> None:
        self.out_dir = out_dir
        self.request = request
        self.k = head_tail_k
        self.index = -1
        self.count = 0
        self.files: list[ClipFiles] = []
        self.recipes: list[dict[str, Any]] = []
        self.reference: tuple[Path, ...] = ()
        self._writer: ClipWriter | None = None
        self._sink: FrameSink | None = None
        self._matcher: Any = None
        self._next()

    def _next(self) -> None:
        self._finish_window()
        self.index += 1
        w = self.request.windows[self.index]
        r = self.request
        self._writer = ClipWriter(
            self.out_dir / window_dir(self.index),
            r.width,
            r.height,
            r.fps,
            self.k,
            expected_frames=w.end - w.start,
        )
        self._sink, self._matcher = self._writer, None
        if self.reference:
            from engine.color import ColorMatchSink, stats_of_files

            self._matcher = ColorMatchSink(self._writer, stats_of_files(self.reference))
            self._sink = self._matcher

    def _finish_window(self) -> None:
        if self._writer is None:
            return
        files = self._writer.close()
        d = self.out_dir / window_dir(self.index)
        recipe: dict[str, Any] = {"window": self.index, "frames": files.num_frames}
        if self._matcher is not None:
            recipe["color_match"] = {
                **self._matcher.describe(),
                "reference_frames": [str(p.relative_to(self.out_dir)) for p in self.reference],
            }
        if self.index == 0 and self.request.color_match:
            self.reference = tuple(d / p for p in files.tail)
        self.files.append(files)
        self.recipes.append(recipe)
        self._writer = None

    def write(self, frame: np.ndarray) -> None:
        if self.count == self.request.windows[self.index].end:
            self._next()
        assert self._sink is not None
        self._sink.write(frame)
        self.count += 1

    def close(self) -> tuple[ClipFiles, ...]:
        if self.count != self.request.num_frames:
            raise RequestError(
                f"the engine made {self.count} frames of a {self.request.num_frames}-frame shot"
            )
        self._finish_window()
        return tuple(self.files)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
        import shutil

        for i in range(self.index + 1):
            shutil.rmtree(self.out_dir / window_dir(i), ignore_errors=True)


class _FaultySink:
    """Wraps a sink to inject the faults named in a `debug` dict (test hook)."""

    def __init__(self, sink: FrameSink, debug: Mapping[str, Any]) -> None:
        unknown = set(debug) - FAULTS
        if unknown:
            raise RequestError(f"unknown debug fault(s): {', '.join(sorted(unknown))}")
        self.sink = sink
        self.debug = dict(debug)
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        d = self.debug
        if d.get("abort_at_frame") == self.count:
            log.warning("debug: aborting the worker at frame %d", self.count)
            os.abort()
        if d.get("hang_at_frame") == self.count:
            log.warning("debug: hanging at frame %d (ignoring cancel)", self.count)
            while True:
                time.sleep(3600)
        if d.get("raise_at_frame") == self.count:
            raise RuntimeError(f"debug: injected engine failure at frame {self.count}")
        if d.get("sleep_per_frame"):
            time.sleep(float(d["sleep_per_frame"]))
        if d.get("color_bias") is not None:
            bias = np.asarray(d["color_bias"], dtype=np.int16)
            frame = np.clip(frame.astype(np.int16) + bias, 0, 255).astype(np.uint8)
        self.sink.write(frame)
        self.count += 1


def run_job(
    engine: Engine,
    request: GenerationRequest,
    out_dir: Path,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    debug: Mapping[str, Any] | None = None,
    head_tail_k: int = HEAD_TAIL_FRAMES,
) -> JobOutput:
    """Validate, generate into a `ClipWriter` in `out_dir`, and return the files and result.

    Raises `RequestError` before writing anything for a bad request; on `Cancelled` or any
    error, removes what it wrote and re-raises.
    """
    out_dir = Path(out_dir)
    prepared, notes = engine.prepare(request)
    if isinstance(prepared, LongShot):
        return _run_long_job(engine, prepared, notes, out_dir, progress, cancel, debug, head_tail_k)
    writer = ClipWriter(
        out_dir,
        prepared.width,
        prepared.height,
        prepared.fps,
        head_tail_k,
        expected_frames=prepared.num_frames,
    )
    matcher = None
    inner: FrameSink = writer
    if prepared.color_reference:
        from engine.color import ColorMatchSink, stats_of_files

        matcher = ColorMatchSink(writer, stats_of_files(prepared.color_reference))
        inner = matcher
    sink: FrameSink = _FaultySink(inner, debug) if debug else inner
    try:
        t0 = time.perf_counter()
        result = engine.generate(prepared, sink, progress, cancel, notes=notes)
        if matcher is not None:
            matcher.flush()
        t1 = time.perf_counter()
        files = writer.close()
        t2 = time.perf_counter()
    except BaseException:
        writer.abort()
        raise
    recipe = dict(result.recipe)
    if matcher is not None:
        recipe["color_match"] = {
            **matcher.describe(),
            "reference_frames": [str(p) for p in prepared.color_reference],
        }
    result = _finished(result, recipe, t0, t1, t2)
    return JobOutput(files=files, result=result)


def _run_long_job(
    engine: Engine,
    prepared: LongShot,
    notes: list[str],
    out_dir: Path,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    debug: Mapping[str, Any] | None,
    head_tail_k: int,
) -> JobOutput:
    """A `LongShot` in one engine call, cut into one clip per window."""
    writers = _WindowWriters(out_dir, prepared, head_tail_k)
    sink: FrameSink = _FaultySink(writers, debug) if debug else writers
    try:
        t0 = time.perf_counter()
        result = engine.generate(prepared, sink, progress, cancel, notes=notes)
        t1 = time.perf_counter()
        windows = writers.close()
        t2 = time.perf_counter()
    except BaseException:
        writers.abort()
        raise
    result = _finished(result, dict(result.recipe), t0, t1, t2)
    return JobOutput(
        files=windows[-1], result=result, windows=windows, window_recipes=tuple(writers.recipes)
    )


def _finished(
    result: GenerationResult, recipe: dict[str, Any], t0: float, t1: float, t2: float
) -> GenerationResult:
    """The engine's result with the job's recipe and timings (generate+encode, finish, job)."""
    timings = dict(result.timings)
    timings.update({"generate_and_encode_s": t1 - t0, "finish_s": t2 - t1, "job_s": t2 - t0})
    return GenerationResult(
        frames=result.frames,
        width=result.width,
        height=result.height,
        fps=result.fps,
        recipe=recipe,
        timings=timings,
        notes=result.notes,
    )
