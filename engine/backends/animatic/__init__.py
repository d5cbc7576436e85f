"""The built-in animatic engine: a fast grey-box renderer of a prompt's shot grammar (CPU only).

Deterministic from (prompt, seed, parameters). Operations:

- text to video: `ShotRenderer` renders the parsed `ShotSpec` frame by frame;
- image to video: the pinned stills carried by the shot's camera move, crossfading between pins;
- extend: the source's last (forward) or first (backward) lossless frame carried on by the
  camera motion measured in the conditioning frames, easing over ~1 s into a fresh render of
  the prompt continuing the shot's time (so a re-used prompt continues where it was);
- bridge: A's last frame carried forward by A's motion, crossfading (smoothstep) into B's first
  frame carried backward by B's motion;
- remix: the source's frames (decoded from its segments) graded by the prompt's look/light/
  weather, `strength` of the way;
- loop: a render whose last second crossfades into the shot's time just before frame 0; with a
  source, a bridge from the source's end back to its start.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.api import (
    OPERATIONS,
    Bridge,
    CancelToken,
    Capabilities,
    Engine,
    Extend,
    FrameSink,
    GenerationRequest,
    ImageToVideo,
    Loop,
    ProgressReporter,
    Remix,
    RequestError,
    TextToVideo,
)
from engine.backends.animatic.grammar import ShotSpec, parse_prompt

__all__ = ["AnimaticEngine", "ANIMATIC_VERSION"]

log = logging.getLogger(__name__)

ANIMATIC_VERSION = 1
TRANSITION_S = 1.0  # how long extend eases from the conditioning frame into new content


def describe_spec(spec: ShotSpec) -> dict[str, Any]:
    d = dataclasses.asdict(spec)
    d["weather"] = sorted(spec.weather)
    d["looks"] = sorted(spec.looks)
    d["moves"] = [dataclasses.asdict(m) for m in spec.moves]
    d["labels"] = list(spec.labels)
    d["terms"] = list(spec.terms)
    return d


class AnimaticEngine(Engine):
    name = "animatic"

    _caps = Capabilities(operations=OPERATIONS, size_multiple=8, frame_modulus=1)

    @property
    def capabilities(self) -> Capabilities:
        return self._caps

    def load(self) -> None:
        import cv2  # noqa: F401  - warm the import in a worker

    def _generate(
        self,
        request: GenerationRequest,
        sink: FrameSink,
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> Mapping[str, Any]:
        from engine.backends.animatic.effects import Overlay

        spec = parse_prompt(request.prompt, request.labels)
        overlay = (
            Overlay(request.overlay_text, request.width, request.height)
            if request.overlay_text
            else None
        )
        emit = _Emitter(sink, progress, cancel, overlay)
        if isinstance(request, TextToVideo):
            self._text_to_video(request, spec, emit)
        elif isinstance(request, ImageToVideo):
            self._image_to_video(request, spec, emit)
        elif isinstance(request, Extend):
            self._extend(request, spec, emit)
        elif isinstance(request, Bridge):
            self._bridge(request, emit)
        elif isinstance(request, Remix):
            self._remix(request, spec, emit)
        elif isinstance(request, Loop):
            if request.source is not None:
                self._bridge(request, emit)
            else:
                self._loop(request, spec, emit)
        else:  # pragma: no cover - validate() rejects unknown operations first
            raise RequestError(f"unknown operation {request.operation}")
        return {"animatic_version": ANIMATIC_VERSION, "shot": describe_spec(spec)}

    # -- operations ----------------------------------------------------------------------------
    @staticmethod
    def _renderer(request: GenerationRequest, spec: ShotSpec, duration: float):
        from engine.backends.animatic.render import ShotRenderer

        return ShotRenderer(spec, request.width, request.height, request.seed, duration=duration)

    def _text_to_video(self, req: TextToVideo, spec: ShotSpec, emit: _Emitter) -> None:
        fps = req.fps
        r = self._renderer(req, spec, float(req.num_frames / fps))
        for i in range(req.num_frames):
            emit.check()
            emit(r.frame_at(float(i / fps)))

    def _loop(self, req: Loop, spec: ShotSpec, emit: _Emitter) -> None:
        from engine.backends.animatic.motion import blend, ease

        fps, n = req.fps, req.num_frames
        r = self._renderer(req, spec, float(n / fps))
        window = min(n // 2, max(2, round(float(fps) * TRANSITION_S)))
        for i in range(n):
            emit.check()
            frame = r.frame_at(float(i / fps))
            k = i - (n - window) + 1
            if window and k >= 1:
                # fade into the shot's time just before frame 0, so the last frame leads in
                frame = blend(frame, r.frame_at(float((i - n) / fps)), ease(k / (window + 1)))
            emit(frame)

    def _image_to_video(self, req: ImageToVideo, spec: ShotSpec, emit: _Emitter) -> None:
        from engine.backends.animatic.camera import CameraRig
        from engine.backends.animatic.effects import Weather
        from engine.backends.animatic.motion import PinnedImages, fit_cover
        from engine.media import load_png_frames

        pins = []
        for frame_index, path in req.resolved_pins():
            emit.check()
            image = load_png_frames([path])[0]
            pins.append((frame_index, fit_cover(image, req.width, req.height)))
        rig = CameraRig(spec, req.width, req.height, req.seed, motion_scale=0.5)
        animator = PinnedImages(rig, pins, req.width, req.height)
        weather = (
            Weather(
                spec.weather, req.width, req.height, req.seed, night=spec.time_of_day == "night"
            )
            if spec.weather
            else None
        )
        for i in range(req.num_frames):
            emit.check()
            t = float(i / req.fps)
            frame = animator.frame_at(i, t)
            if weather is not None:
                weather.draw(frame, t)
            emit(frame)

    def _extend(self, req: Extend, spec: ShotSpec, emit: _Emitter) -> None:
        from engine.backends.animatic.motion import blend, continue_frame, ease, estimate_motion
        from engine.media import load_png_frames

        src = req.source
        fps, n = req.fps, req.num_frames
        forward = req.direction == "forward"
        cond = load_png_frames(src.tail if forward else src.head)
        _check_size(cond, req, "the source take")
        motion = estimate_motion(cond, at_end=forward)
        anchor = cond[-1] if forward else cond[0]
        r = self._renderer(req, spec, float(src.num_frames / fps))
        window = max(2, round(float(fps) * TRANSITION_S))
        t_end = float(src.num_frames / fps)
        for i in range(n):
            emit.check()
            # steps away from the conditioning frame (1 = adjacent to it)
            steps = i + 1 if forward else n - i
            t = t_end + i / float(fps) if forward else (i - n) / float(fps)
            rendered = r.frame_at(t)
            if steps <= window:
                carried = continue_frame(anchor, motion, steps if forward else -steps)
                frame = blend(carried, rendered, ease(steps / (window + 1)))
            else:
                frame = rendered
            emit(frame)

    def _bridge(self, req: Bridge | Loop, emit: _Emitter) -> None:
        from engine.backends.animatic.motion import blend, continue_frame, ease, estimate_motion
        from engine.media import load_png_frames

        if isinstance(req, Bridge):
            a_src, b_src = req.source_a, req.source_b
        else:
            assert req.source is not None
            a_src = b_src = req.source
        a = load_png_frames(a_src.tail)
        b = load_png_frames(b_src.head)
        _check_size(a, req, "take A" if isinstance(req, Bridge) else "the source take")
        _check_size(b, req, "take B" if isinstance(req, Bridge) else "the source take")
        motion_a = estimate_motion(a, at_end=True)
        motion_b = estimate_motion(b, at_end=False)
        n = req.num_frames
        for i in range(n):
            emit.check()
            from_a = continue_frame(a[-1], motion_a, i + 1)
            into_b = continue_frame(b[0], motion_b, -(n - i))
            emit(blend(from_a, into_b, ease((i + 1) / (n + 1))))

    def _remix(self, req: Remix, spec: ShotSpec, emit: _Emitter) -> None:
        from engine.backends.animatic.effects import Look
        from engine.media import probe, read_frames

        for seg in req.source.segments:
            frames, _, _, _ = probe(seg.path)
            if frames < seg.end:
                raise RequestError(
                    f"clip {seg.path.name} has {frames} frames, fewer than the {seg.end} the "
                    "take needs; the file is damaged — regenerate the source take"
                )
        look = Look(spec, req.width, req.height, req.seed, req.strength)
        if not look.names and look.weather is None:
            log.info(
                "remix prompt %r names no look the animatic knows; frames pass through", req.prompt
            )
        frames = read_frames(req.source.segments, width=req.width, height=req.height)
        try:
            for i in range(req.num_frames):
                emit.check()
                frame = next(frames)
                emit(look.apply(frame, i, float(i / req.fps)))
        finally:
            frames.close()


def _check_size(frames: list[np.ndarray], req: GenerationRequest, name: str) -> None:
    for f in frames:
        if f.shape[:2] != (req.height, req.width):
            raise RequestError(
                f"{name}'s conditioning frames are {f.shape[1]}x{f.shape[0]}, not the "
                f"{req.width}x{req.height} the take claims; its head/tail files do not match it"
            )


class _Emitter:
    """Writes frames (adding the overlay), reports progress, checks cancel."""

    def __init__(
        self, sink: FrameSink, progress: ProgressReporter, cancel: CancelToken, overlay
    ) -> None:
        self.sink, self.progress, self.cancel, self.overlay = sink, progress, cancel, overlay
        self.count = 0

    def check(self) -> None:
        self.cancel.raise_if_cancelled()

    def __call__(self, frame: np.ndarray) -> None:
        if self.overlay is not None:
            self.overlay.draw(frame)
        self.sink.write(frame)
        self.count += 1
        self.progress(self.count, frame)
