"""The built-in animatic engine: a fast grey-box renderer of a prompt's shot grammar (CPU only).

Deterministic from (prompt, seed, parameters). Operations:

- text to video: `ShotRenderer` renders the parsed `ShotSpec` frame by frame;
- image to video: the pinned stills carried by the shot's camera move, crossfading between pins;
- extend: when the source was made by this animatic version (its recipe's ``timeline``: the
  prompt, labels, seed, layout time and the times of its first and last frames), the SAME scene
  re-rendered at the times beyond its end (or before its start): set, figures, their actions
  and the camera move carry on with no dissolve (recipe ``continuation: "scene"``). Otherwise
  (an older animatic, another engine, imported footage) the lossless tail (head) frame held
  and re-framed by the prompt's camera move, or by the motion measured in the conditioning
  frames when the prompt names none (``continuation: "frames"``);
- bridge: two takes of one location (both with this version's timeline, the same set): the
  camera moves from A's last pose to B's first and the figures walk from A's last places to
  B's first (``transition: "camera_move"``); between different locations, A's last frame
  carried forward by A's motion, crossfading into B's first frame carried backward by B's
  motion (``transition: "dissolve"``);
- remix: the source's frames (decoded from its segments) graded by the prompt's look/light/
  weather, `strength` of the way;
- loop: a render whose camera and figures, over its last second, move home to their state one
  period earlier, so the frame after the last is the first (no dissolve, no ghost); with a
  source, a bridge from the source's end back to its start;
- inpaint (regions.py): the source's decoded frames with new pixels composited inside the
  feathered mask: its scene re-rendered from the edited prompt when it is this animatic's take
  (``region_method: "scene"``: a prop recoloured, a figure left out), else a clean plate for a
  prompt that removes (``"clean_plate"``) or the prompt's own scene (``"render"``);
- cinemagraph (regions.py): a still that moves only inside its mask: a frame of this
  animatic's take re-rendered from that moment with the camera held (figures walk on), or the
  still's own pixels moved by the prompt's words (water ripples, drifting sky, flickering
  lamps, smoke, rain, swaying trees); `loop` repeats it seamlessly.
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
    Cinemagraph,
    Engine,
    Extend,
    FrameSink,
    GenerationRequest,
    ImageToVideo,
    Inpaint,
    Loop,
    ProgressReporter,
    Remix,
    RequestError,
    TextToVideo,
)
from engine.backends.animatic.grammar import ShotSpec, parse_prompt

__all__ = ["AnimaticEngine", "ANIMATIC_VERSION"]

log = logging.getLogger(__name__)

ANIMATIC_VERSION = 2
TRANSITION_S = 1.0  # how long a loop eases its last frames into the shot before frame 0


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

        spec = parse_prompt(request.prompt, request.labels, request.scene_heading)
        # a region edit keeps its source's pixels outside the mask: no overlay drawn over them
        overlay = (
            Overlay(request.overlay_text, request.width, request.height)
            if request.overlay_text and not isinstance(request, Inpaint | Cinemagraph)
            else None
        )
        emit = _Emitter(sink, progress, cancel, overlay)
        extra: dict[str, Any] = {}
        if isinstance(request, TextToVideo):
            self._text_to_video(request, spec, emit)
            extra["timeline"] = _timeline(request, request.prompt, request.labels, 0.0)
        elif isinstance(request, ImageToVideo):
            self._image_to_video(request, spec, emit)
        elif isinstance(request, Extend):
            extra.update(self._extend(request, spec, emit))
            if "timeline" in extra:
                spec = parse_prompt(extra["timeline"]["prompt"], tuple(extra["timeline"]["labels"]))
        elif isinstance(request, Bridge):
            extra.update(self._bridge(request, emit))
        elif isinstance(request, Remix):
            self._remix(request, spec, emit)
        elif isinstance(request, Loop):
            if request.source is not None:
                extra.update(self._bridge(request, emit))
            else:
                self._loop(request, spec, emit)
                extra["timeline"] = _timeline(request, request.prompt, request.labels, 0.0)
        elif isinstance(request, Inpaint):
            from engine.backends.animatic import regions

            extra.update(regions.inpaint(self, request, emit))
        elif isinstance(request, Cinemagraph):
            from engine.backends.animatic import regions

            extra.update(regions.cinemagraph(self, request, emit))
        else:  # pragma: no cover - validate() rejects unknown operations first
            raise RequestError(f"unknown operation {request.operation}")
        return {"animatic_version": ANIMATIC_VERSION, "shot": describe_spec(spec), **extra}

    # -- operations ----------------------------------------------------------------------------
    @staticmethod
    def _renderer(
        request: GenerationRequest, spec: ShotSpec, duration: float, seed: int | None = None
    ):
        from engine.backends.animatic.render import ShotRenderer

        seed = request.seed if seed is None else seed
        return ShotRenderer(spec, request.width, request.height, seed, duration=duration)

    def _text_to_video(self, req: TextToVideo, spec: ShotSpec, emit: _Emitter) -> None:
        fps = req.fps
        r = self._renderer(req, spec, float(req.num_frames / fps))
        for i in range(req.num_frames):
            emit.check()
            emit(r.frame_at(float(i / fps)))

    def _loop(self, req: Loop, spec: ShotSpec, emit: _Emitter) -> None:
        from engine.backends.animatic.motion import ease

        fps, n = req.fps, req.num_frames
        period = float(n / fps)
        r = self._renderer(req, spec, period)
        window = min(n // 2, max(2, round(float(fps) * TRANSITION_S)))
        for i in range(n):
            emit.check()
            k = i - (n - window) + 1
            # over the last second the camera and the figures go home: to their state one
            # period earlier, so the frame after the last is the first (no dissolve, no ghost)
            r.loop_home = (period, ease(k / (window + 1))) if window and k >= 1 else None
            emit(r.frame_at(float(i / fps)))

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

    def _extend(self, req: Extend, spec: ShotSpec, emit: _Emitter) -> dict[str, Any]:
        src = req.source
        fps, n = req.fps, req.num_frames
        forward = req.direction == "forward"
        span = _source_span(src, req)
        if span is not None:
            tl, t_start, t_end = span
            scene_spec = parse_prompt(tl["prompt"], tuple(tl["labels"]))
            if req.prompt.strip() and req.prompt.strip() != tl["prompt"].strip():
                log.info("extend continues the source's scene; its prompt %r is kept", tl["prompt"])
            r = self._renderer(req, scene_spec, float(tl["layout_s"]), seed=int(tl["seed"]))
            # another seed varies the figures' motion from the join on (a re-roll differs)
            old = int(tl.get("var_end" if forward else "var_start", 0))
            new = old if int(req.seed) == int(tl["seed"]) else 1 + int(req.seed) % 997
            r.variation = (t_end, 1, old, new) if forward else (t_start, -1, old, new)
            t0 = t_end if forward else t_start - n / float(fps)
            for i in range(n):
                emit.check()
                emit(r.frame_at(t0 + i / float(fps)))
            made = (t0, t0 + n / float(fps))
            # the app composes source + new frames into one take: its span covers both
            whole = (t_start, made[1]) if forward else (made[0], t_end)
            ends = {"var_end": new} if forward else {"var_start": new}
            timeline = dict(tl, t_start=whole[0], t_end=whole[1], made=list(made), **ends)
            return {"continuation": "scene", "timeline": timeline}
        self._extend_from_frames(req, spec, emit)
        return {"continuation": "frames"}

    def _extend_from_frames(self, req: Extend, spec: ShotSpec, emit: _Emitter) -> None:
        """Hold the source's tail (head) frame and re-frame it with the camera move: the
        prompt's when it names one, else the motion measured in the conditioning frames."""
        from engine.backends.animatic.camera import CameraRig
        from engine.backends.animatic.motion import PinnedImages, continue_frame, estimate_motion
        from engine.media import load_png_frames

        src = req.source
        fps, n = req.fps, req.num_frames
        forward = req.direction == "forward"
        cond = load_png_frames(src.tail if forward else src.head)
        _check_size(cond, req, "the source take")
        anchor = cond[-1] if forward else cond[0]
        if spec.moves or spec.handheld:
            rig = CameraRig(spec, req.width, req.height, req.seed)
            animator = PinnedImages(rig, [(0, anchor)], req.width, req.height)
            for i in range(n):
                emit.check()
                t = (i + 1) / float(fps) if forward else (i - n) / float(fps)
                emit(animator.frame_at(0, t))
            return
        motion = estimate_motion(cond, at_end=forward)
        for i in range(n):
            emit.check()
            steps = i + 1 if forward else -(n - i)
            emit(continue_frame(anchor, motion, steps))

    def _bridge(self, req: Bridge | Loop, emit: _Emitter) -> dict[str, Any]:
        if isinstance(req, Bridge):
            a_src, b_src = req.source_a, req.source_b
        else:
            assert req.source is not None
            a_src = b_src = req.source
        span_a, span_b = _source_span(a_src, req), _source_span(b_src, req)
        if (
            span_a is not None
            and span_b is not None
            and self._bridge_in_scene(req, span_a, span_b, emit)
        ):
            return {"transition": "camera_move"}
        self._bridge_dissolve(req, a_src, b_src, emit)
        return {"transition": "dissolve"}

    def _bridge_in_scene(self, req: GenerationRequest, span_a, span_b, emit: _Emitter) -> bool:
        """Move the camera and the figures of one location from A's last state to B's first;
        False (nothing emitted) when A and B are not the same set."""
        from engine.backends.animatic.camera import CameraPose
        from engine.backends.animatic.motion import ease

        (tl_a, _, end_a), (tl_b, start_b, _) = span_a, span_b
        ra = self._renderer(
            req,
            parse_prompt(tl_a["prompt"], tuple(tl_a["labels"])),
            float(tl_a["layout_s"]),
            seed=int(tl_a["seed"]),
        )
        rb = self._renderer(
            req,
            parse_prompt(tl_b["prompt"], tuple(tl_b["labels"])),
            float(tl_b["layout_s"]),
            seed=int(tl_b["seed"]),
        )
        sa, sb = ra.scene, rb.scene
        if sa.boxes != sb.boxes or sa.trees != sb.trees or sa.interior != sb.interior:
            return False
        fps, n = float(req.fps), req.num_frames
        dt = 1.0 / fps
        pa, pb = ra.rig.pose(end_a - dt), rb.rig.pose(start_b)
        figs_b = sb.figures
        state = {"w": 0.0, "i": 0}
        a_pose, b_pose = ra.figure_pose, rb.figure_pose

        class _Rig:
            def pose(self, t: float) -> CameraPose:
                w = state["w"]
                return CameraPose(
                    pa.position * (1 - w) + pb.position * w,
                    pa.yaw + (pb.yaw - pa.yaw) * w,
                    pa.pitch + (pb.pitch - pa.pitch) * w,
                    pa.roll + (pb.roll - pa.roll) * w,
                    float(np.exp(np.log(pa.focal_px) * (1 - w) + np.log(pb.focal_px) * w)),
                )

        def figure_pose(fig, t: float):
            k = ra._fig_index.get(id(fig), 0)
            i, w = state["i"], state["w"]
            pose_a = a_pose(fig, end_a + i * dt)
            if k >= len(figs_b):
                return pose_a
            pose_b = b_pose(figs_b[k], start_b - (n - i) * dt)
            base = pose_a if w < 0.5 else pose_b
            return dataclasses.replace(
                base,
                x=pose_a.x + (pose_b.x - pose_a.x) * w,
                z=pose_a.z + (pose_b.z - pose_a.z) * w,
            )

        ra.rig = _Rig()
        ra.figure_pose = figure_pose  # type: ignore[method-assign]
        for i in range(n):
            emit.check()
            state["i"], state["w"] = i, ease((i + 1) / (n + 1))
            emit(ra.frame_at(end_a + i * dt))
        return True

    def _bridge_dissolve(self, req, a_src, b_src, emit: _Emitter) -> None:
        from engine.backends.animatic.motion import blend, continue_frame, ease, estimate_motion
        from engine.media import load_png_frames

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


def _timeline(req: GenerationRequest, prompt: str, labels, t_start: float) -> dict[str, Any]:
    """What re-renders this take's scene: its prompt, labels, seed, the time its layout was
    made for, and the times of its first frame and just after its last."""
    t_end = t_start + req.num_frames / float(req.fps)
    return {
        "prompt": prompt,
        "labels": list(labels),
        "seed": int(req.seed),
        "layout_s": req.num_frames / float(req.fps),
        "width": req.width,
        "height": req.height,
        "t_start": t_start,
        "t_end": t_end,
        "made": [t_start, t_end],
    }


def _source_span(src, req: GenerationRequest) -> tuple[dict[str, Any], float, float] | None:
    """(timeline, time of the source's first frame, time just after its last) when `src` was
    made by this animatic version at this size; None otherwise (continue from its frames)."""
    recipe = getattr(src, "recipe", None) or {}
    tl = recipe.get("timeline")
    if recipe.get("animatic_version") != ANIMATIC_VERSION or not isinstance(tl, Mapping):
        return None
    try:
        if (int(tl["width"]), int(tl["height"])) != (req.width, req.height):
            return None
        fps = float(src.fps)
        for lo, hi in ((tl["t_start"], tl["t_end"]), tuple(tl["made"])):
            if round((float(hi) - float(lo)) * fps) == src.num_frames:
                return dict(tl), float(lo), float(hi)
    except (KeyError, TypeError, ValueError):
        log.warning("the source's animatic timeline is unreadable; continuing from its frames")
    return None


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
