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
    ProgressCallback,
    RequestError,
)
from engine.media import ClipFiles, ClipWriter

__all__ = ["FAULTS", "JobOutput", "run_job"]

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
    """A finished job: the files written in out_dir and the engine's result (with the recipe)."""

    files: ClipFiles
    result: GenerationResult


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
    head_tail_k: int = 8,
) -> JobOutput:
    """Validate, generate into a `ClipWriter` in `out_dir`, and return the files and result.

    Raises `RequestError` before writing anything for a bad request; on `Cancelled` or any
    error, removes what it wrote and re-raises.
    """
    out_dir = Path(out_dir)
    prepared, notes = engine.prepare(request)
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
    timings = dict(result.timings)
    timings.update({"generate_and_encode_s": t1 - t0, "finish_s": t2 - t1, "job_s": t2 - t0})
    recipe = dict(result.recipe)
    if matcher is not None:
        recipe["color_match"] = {
            **matcher.describe(),
            "reference_frames": [str(p) for p in prepared.color_reference],
        }
    result = GenerationResult(
        frames=result.frames,
        width=result.width,
        height=result.height,
        fps=result.fps,
        recipe=recipe,
        timings=timings,
        notes=result.notes,
    )
    return JobOutput(files=files, result=result)
