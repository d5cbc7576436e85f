"""The animatic's region edits: inpaint a region of a take, and cinemagraphs.

Both keep the contract of engine.masks: every output frame is ``composite(source, new,
feather_alpha(mask, feather))``, so outside the mask dilated by the feather the pixels are the
source's (the decoded source frame, or the still) and only the encoder touches them.

Inpaint (the new pixels inside the mask):

- ``region_method: "scene"``: the source was made by this animatic (its recipe's ``timeline``).
  Its scene is re-rendered from the EDITED prompt (the request's: "a blue car" where the source
  said "a red car", a figure left out) with the source's seed, layout time, camera and the times
  of its frames, so everything the edit did not change lines up with the source;
- ``"clean_plate"``: other footage and a prompt that removes ("remove the car", "erase", "no
  people", "without", "empty"): the masked area filled from its surroundings, frame by frame
  (OpenCV's Telea inpainting);
- ``"render"``: other footage and any other prompt: the prompt's own scene (the text-to-video
  renderer at the frame times) inside the mask.

Cinemagraph (the still held outside the mask; inside it moves as the prompt says):

- ``region_method: "scene"``: the still is a frame of an animatic take (``source`` with its
  timeline and ``frame_index``): the take's scene re-rendered from that moment on with the
  camera held at that frame's pose, so figures walk on inside the mask; the prompt's motions
  (water, sky, lamps...) play on top;
- ``"procedural"``: the still's own pixels moved by motions chosen from the prompt's words
  (:data:`MOTION_WORDS`): water ripples, drifting sky, flickering lamps, drifting smoke, rain or
  snow, swaying trees and figures; words it does not know give a gentle sway and shimmer (the
  recipe's ``region_note`` says so).

With ``loop`` every motion repeats with the clip's length as its period (waves and flicker
complete whole cycles, drifts cross-fade into their own start, figures walk home as a loop
does), so the frame after the last is the first. All deterministic from the seed.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.api import Cinemagraph, Inpaint, RequestError
from engine.backends.animatic import (
    TRANSITION_S,
    AnimaticEngine,
    _Emitter,
    _source_span,
)
from engine.backends.animatic.edits import edited_labels, edited_prompt
from engine.backends.animatic.grammar import ShotSpec, parse_prompt
from engine.masks import MaskTrack, composite, feather_alpha, read_mask, resize_mask

__all__ = ["MOTION_WORDS", "REMOVE_WORDS", "cinemagraph", "inpaint", "motions_for"]

log = logging.getLogger(__name__)

# A prompt that asks for something to go away: the clean plate (for footage not made here).
REMOVE_WORDS = re.compile(
    r"\b(remove|removed|removing|erase|erased|delete|deleted|clean plate|no|without|empty|"
    r"nobody|nothing|gone|get rid of)\b",
    re.IGNORECASE,
)

# The cinemagraph's motions, in the order they are applied, and the words that ask for them.
MOTION_WORDS: dict[str, tuple[str, ...]] = {
    k: tuple(v.split())
    for k, v in {
        "ripple": "water sea ocean river lake pond wave waves ripple ripples rippling harbour "
        "harbor stream pool",
        "drift": "sky skies cloud clouds cloudy",
        "sway": "hair flag flags tree trees leaves leaf grass figure figures curtain curtains "
        "branches wind sway swaying person woman man people",
        "smoke": "smoke fog steam mist haze smoky foggy misty",
        "flicker": "lamp lamps light lights neon candle candles fire flicker flickering flame "
        "flames sign",
        "rain": "rain raining rainy drizzle",
        "snow": "snow snowing snowy snowfall",
    }.items()
}
# the spec's fields that place the camera: an inpaint keeps the source's, so the region lines up
_CAMERA_FIELDS = tuple("shot_size framing angle dutch_deg focal_mm moves handheld static".split())


def motions_for(prompt: str) -> list[str]:
    """The motions the prompt's words ask for (see `MOTION_WORDS`), in application order."""
    words = set(re.findall(r"[a-z]+", prompt.lower()))
    return [m for m, ws in MOTION_WORDS.items() if words & set(ws)]


# --------------------------------------------------------------------------------------------
# Inpaint


def _load_track(masks, width: int, height: int) -> MaskTrack:
    """The request's masks at the frame size (check_inputs checked them at the asked size; an
    engine snap of the size rescales them with the frames)."""
    keys = []
    for m in masks:
        mask = read_mask(m.path)
        if mask.shape != (height, width):
            mask = resize_mask(mask, width, height)
        keys.append((m.frame_index, mask))
    return MaskTrack(keys)


class _Alphas:
    """Feathered alpha per frame (computed once for a still mask)."""

    def __init__(self, track: MaskTrack, feather: int) -> None:
        self.track, self.feather = track, feather
        self._still = None if track.moving else track.alphas(0, feather)

    def __call__(self, i: int) -> np.ndarray:
        return self._still if self._still is not None else self.track.alphas(i, self.feather)


def inpaint(engine: AnimaticEngine, req: Inpaint, emit: _Emitter) -> dict[str, Any]:
    """Make the inpainted take into `emit`; returns the recipe's extra entries."""
    import cv2

    from engine.media import read_frames

    w, h, fps = req.width, req.height, float(req.fps)
    track = _load_track(req.masks, w, h)
    alphas = _Alphas(track, req.feather)
    extra: dict[str, Any] = {"moving_mask": track.moving}
    new_frame: Callable[[int, np.ndarray], np.ndarray]
    span = _source_span(req.source, req)
    if span is not None:
        tl, t_start, _ = span
        # "a blue car", "remove the man": the edit applied to the source shot's prompt
        prompt = edited_prompt(tl["prompt"], req.prompt, tuple(tl["labels"]))
        labels = edited_labels(prompt, tuple(dict.fromkeys([*tl["labels"], *req.labels])))
        r = _scene_renderer(engine, req, tl, prompt, labels)
        extra["region_method"] = "scene"
        if prompt != req.prompt:
            extra["edited_prompt"] = prompt
        extra["timeline"] = _edited_timeline(req, tl, extra, prompt, labels)
        loop_window = _loop_window(req)

        def new_frame(i: int, src: np.ndarray) -> np.ndarray:
            if loop_window:  # a loop take: its figures walk home over its last second
                from engine.backends.animatic.motion import ease

                k = i - (req.num_frames - loop_window) + 1
                period = req.num_frames / fps
                r.loop_home = (period, ease(k / (loop_window + 1))) if k >= 1 else None
            return r.frame_at(t_start + i / fps)

    elif REMOVE_WORDS.search(req.prompt):
        extra["region_method"] = "clean_plate"
        grow = np.ones((5, 5), np.uint8)
        radius = max(3, round(min(w, h) / 60))

        def new_frame(i: int, src: np.ndarray) -> np.ndarray:
            hole = cv2.dilate(track.at(i).astype(np.uint8) * 255, grow)
            return cv2.inpaint(src, hole, radius, cv2.INPAINT_TELEA)

    else:
        extra["region_method"] = "render"
        spec = parse_prompt(req.prompt, req.labels, req.scene_heading)
        r = engine._renderer(req, spec, req.num_frames / fps)

        def new_frame(i: int, src: np.ndarray) -> np.ndarray:
            return r.frame_at(i / fps)

    frames = read_frames(req.source.segments, width=w, height=h)
    try:
        for i in range(req.num_frames):
            emit.check()
            src = next(frames, None)
            if src is None:
                raise RequestError(
                    f"the source take's clip has {i} frames, fewer than its {req.num_frames}; "
                    "the file is damaged — regenerate the source take"
                )
            emit(composite(src, new_frame(i, src), alphas(i)))
    finally:
        frames.close()
    return extra


def _edited_timeline(
    req: Inpaint, tl: dict[str, Any], extra: dict[str, Any], prompt: str, labels: tuple[str, ...]
) -> dict[str, Any]:
    """The inpainted take's timeline: the edited scene when the edited prompt frames it as the
    source did (an extend then carries the edit on); else the source's scene, so an extend
    still lines up with the frames (and the recipe says the edit does not carry on)."""
    source_spec = parse_prompt(tl["prompt"], tuple(tl["labels"]))
    edited = parse_prompt(prompt, labels, req.scene_heading)
    if all(getattr(edited, f) == getattr(source_spec, f) for f in _CAMERA_FIELDS):
        return dict(tl, prompt=prompt, labels=list(labels))
    extra["region_note"] = (
        "the edited prompt frames the shot differently from the source's; the region was "
        "re-rendered with the source's camera, and an extend continues the source's scene"
    )
    return dict(tl)


def _loop_window(req: Inpaint) -> int:
    """Frames over which a source made by the animatic's loop walks home (0: not a loop)."""
    recipe = req.source.recipe or {}
    if recipe.get("operation") != "loop" or (recipe.get("conditioning") or {}).get("source"):
        return 0
    n = req.num_frames
    return min(n // 2, max(2, round(float(req.fps) * TRANSITION_S)))


def _scene_renderer(engine: AnimaticEngine, req, tl: dict[str, Any], prompt: str, labels=None):
    """The source timeline's scene, dressed by `prompt` (an inpaint's edited prompt), seen by
    the source's camera: same seed and layout time, so what the prompt kept stays where it was."""
    source_spec = parse_prompt(tl["prompt"], tuple(tl["labels"]))
    labels = tuple(req.labels if labels is None else labels)
    edited = parse_prompt(prompt, labels, req.scene_heading)
    spec: ShotSpec = dataclasses.replace(
        edited, **{f: getattr(source_spec, f) for f in _CAMERA_FIELDS}
    )
    r = engine._renderer(req, spec, float(tl["layout_s"]), seed=int(tl["seed"]))
    # an extended source: its figures took another variation from the join on
    made, t_start = tl.get("made"), float(tl["t_start"])
    try:
        if int(tl.get("var_end", 0)) and made and float(made[0]) > t_start + 1e-6:
            r.variation = (float(made[0]), 1, 0, int(tl["var_end"]))
        elif int(tl.get("var_start", 0)) and made and float(made[1]) < float(tl["t_end"]) - 1e-6:
            r.variation = (float(made[1]), -1, 0, int(tl["var_start"]))
    except (TypeError, ValueError, IndexError):
        log.warning("the source's variation is unreadable; its figures keep their first motion")
    return r


# --------------------------------------------------------------------------------------------
# Cinemagraph


def cinemagraph(engine: AnimaticEngine, req: Cinemagraph, emit: _Emitter) -> dict[str, Any]:
    """Make the cinemagraph into `emit`; returns the recipe's extra entries."""
    from engine.backends.animatic.motion import fit_cover
    from engine.media import load_png_frames

    w, h, n, fps = req.width, req.height, req.num_frames, float(req.fps)
    still = load_png_frames([req.image])[0]
    if still.shape[:2] != (h, w):
        still = fit_cover(still, w, h)
    mask = read_mask(req.mask)
    if mask.shape != (h, w):
        mask = resize_mask(mask, w, h)
    alpha = feather_alpha(mask, req.feather)
    motions = motions_for(req.prompt)
    extra: dict[str, Any] = {"loop": bool(req.loop)}
    span = None
    if req.source is not None and req.frame_index is not None:
        span = _source_span(req.source, req)
    period = n / fps
    if span is not None:
        tl, t_start, _ = span
        scene = _FrozenCameraScene(engine, req, tl, t_start + req.frame_index / fps, period)
        # the figures themselves walk; the set's own rain or snow falls already
        drawn = {"sway"} | ({"rain", "snow"} if scene.weather is not None else set())
        motions = [m for m in motions if m not in drawn]
        extra["region_method"] = "scene"
        extra["scene_time"] = t_start + req.frame_index / fps
    else:
        scene = None
        extra["region_method"] = "procedural"
        if not motions:
            motions = ["sway", "shimmer"]
            extra["region_note"] = (
                f"the animatic knows no motion in {req.prompt!r}; the region sways and shimmers "
                "(say e.g. water, sky, lamp, smoke, rain, trees)"
            )
    extra["motions"] = motions
    mover = _Motions(motions, still, mask, req.seed, period if req.loop else None)
    for i in range(n):
        emit.check()
        t = i / fps
        base = scene.frame(i, t, n) if scene is not None else still
        moved = mover(base, t) if motions else base
        emit(composite(still, moved, alpha))
    return extra


class _FrozenCameraScene:
    """An animatic take's scene from one moment on, the camera held at that moment's pose."""

    def __init__(self, engine, req: Cinemagraph, tl: dict[str, Any], t0: float, period: float):
        from engine.backends.animatic.motion import ease

        self.ease = ease
        self.r = r = _scene_renderer(engine, req, tl, tl["prompt"], tl["labels"])
        pose = r.rig.pose(t0)

        class _Held:
            def pose(self, t: float):
                return pose

        r.rig = _Held()
        self.t0, self.period, self.loop = t0, period, req.loop
        self.fps = req.fps
        # rain and snow are drawn by the motions (looped when asked), not by the renderer
        self.weather = r.weather
        if req.loop:
            r.weather = None

    def frame(self, i: int, t: float, n: int) -> np.ndarray:
        r = self.r
        if self.loop:
            window = min(n // 2, max(2, round(float(self.fps) * TRANSITION_S)))
            k = i - (n - window) + 1
            # as a loop does: over the last second the figures walk home to their first state
            r.loop_home = (self.period, self.ease(k / (window + 1))) if window and k >= 1 else None
        frame = r.frame_at(self.t0 + t)
        if self.loop and self.weather is not None:
            weather, t0 = self.weather, self.t0
            return _looped(lambda s: _draw_weather(weather, frame, t0 + s), t, self.period)
        return frame


def _draw_weather(weather, frame: np.ndarray, t: float) -> np.ndarray:
    out = frame.copy()
    weather.draw(out, t)
    return out


def _looped(f: Callable[[float], np.ndarray], t: float, period: float | None) -> np.ndarray:
    """f(t) made periodic: cross-faded into f(t - period) over the period, so that the value at
    t = period is f(0) (no jump at the loop point)."""
    if period is None:
        return f(t)
    w = t / period
    if w <= 0:
        return f(t)
    a, b = f(t).astype(np.float32), f(t - period).astype(np.float32)
    return np.clip(a * (1 - w) + b * w + 0.5, 0, 255).astype(np.uint8)


class _Motions:
    """The still's pixels moved by the named motions at time t (periodic with `period`)."""

    def __init__(
        self, names: list[str], still: np.ndarray, mask: np.ndarray, seed: int, period: float | None
    ) -> None:
        h, w = mask.shape
        self.names, self.period = names, period
        self.h, self.w = h, w
        self.xs, self.ys = np.meshgrid(
            np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
        )
        self.rng = np.random.default_rng([seed & 0xFFFFFFFF, 17])
        self.phase = [float(p) for p in self.rng.uniform(0, 2 * math.pi, 8)]
        ys = np.nonzero(mask.any(axis=1))[0]
        top, bottom = float(ys.min()), float(ys.max())
        # sway: anchored at the region's bottom, the most at its top
        self.sway_weight = np.clip((bottom - self.ys) / max(1.0, bottom - top), 0.0, 1.0) ** 1.5
        self._noise: np.ndarray | None = None
        self._weather = None
        self.sky = _sky_weight(still, mask)
        sky_px = still[self.sky > 0.5]
        tone = sky_px.mean(axis=0) if len(sky_px) else still[mask].mean(axis=0)
        self.cloud = np.clip(tone.astype(np.float32) + 55.0, 0, 245)  # lighter than the sky
        self.glow = _glow(still, mask)
        if "rain" in names or "snow" in names:
            from engine.backends.animatic.effects import Weather

            kinds = {k for k in ("rain", "snow") if k in names}
            self._weather = Weather(kinds, w, h, seed, night=float(still.mean()) < 70)

    def hz(self, f: float) -> float:
        """`f`, or the nearest frequency with whole cycles in the loop's period."""
        if self.period is None:
            return f
        return max(1, round(f * self.period)) / self.period

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        out = frame
        for name in self.names:
            if name in ("drift", "smoke", "rain", "snow"):  # not periodic: cross-faded
                out = _looped(
                    lambda s, name=name, src=out: getattr(self, name)(src, s), t, self.period
                )
            else:
                out = getattr(self, name)(out, t)
        return out

    # -- periodic motions (whole cycles per loop) ---------------------------------------------
    def ripple(self, img: np.ndarray, t: float) -> np.ndarray:
        import cv2

        h, w, ph = self.h, self.w, self.phase
        amp = max(1.5, h / 60.0)
        ly, lx = max(6.0, h / 9.0), max(8.0, w / 7.0)
        a = 2 * math.pi * (self.ys / ly - self.hz(0.9) * t) + ph[0]
        b = 2 * math.pi * (self.xs / lx + 0.3 * self.ys / ly - self.hz(0.6) * t) + ph[1]
        mx = self.xs + amp * np.sin(a + 0.4 * np.sin(b))
        my = self.ys + 0.5 * amp * np.sin(b)
        moved = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return self.shimmer(moved, t, depth=0.07)

    def shimmer(self, img: np.ndarray, t: float, depth: float = 0.05) -> np.ndarray:
        ly, lx = max(5.0, self.h / 12.0), max(7.0, self.w / 10.0)
        c = (
            2 * math.pi * (self.xs / lx * 1.3 + self.ys / ly * 0.7 - self.hz(1.1) * t)
            + self.phase[2]
        )
        gain = 1.0 + depth * np.sin(c)
        return np.clip(img.astype(np.float32) * gain[:, :, None] + 0.5, 0, 255).astype(np.uint8)

    def sway(self, img: np.ndarray, t: float) -> np.ndarray:
        import cv2

        amp = max(1.5, self.w / 110.0)
        ph = self.phase
        wave = np.sin(2 * math.pi * self.hz(0.5) * t + self.ys / max(8.0, self.h / 6.0) + ph[3])
        wave += 0.35 * np.sin(2 * math.pi * self.hz(1.3) * t + ph[4])
        mx = self.xs - amp * self.sway_weight * wave
        return cv2.remap(img, mx, self.ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def flicker(self, img: np.ndarray, t: float) -> np.ndarray:
        """The region's lights flicker: its brightest pixels and their glow the most (`_glow`),
        the rest of the region a little."""
        ph = self.phase
        g = 0.6 * math.sin(2 * math.pi * self.hz(2.7) * t + ph[5])
        g += 0.4 * math.sin(2 * math.pi * self.hz(6.3) * t + ph[6])
        gain = 1.0 + g * (0.01 + 0.3 * self.glow)
        return np.clip(img.astype(np.float32) * gain[:, :, None] + 0.5, 0, 255).astype(np.uint8)

    # -- drifts (cross-faded into a loop) -----------------------------------------------------
    def drift(self, img: np.ndarray, t: float) -> np.ndarray:
        """Clouds drifting across the sky: a soft translucent layer moving right over the
        region's sky (`_sky_weight`); buildings, lamps and figures in the region stay put."""
        import cv2

        noise = self._cloud_noise()
        mx = self.xs - 0.08 * self.w * t  # 8% of the frame a second: a time-lapse sky
        n = cv2.remap(noise, mx, self.ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        a = (0.6 * n * self.sky)[:, :, None]
        return np.clip(img.astype(np.float32) * (1 - a) + self.cloud * a + 0.5, 0, 255).astype(
            np.uint8
        )

    def _cloud_noise(self) -> np.ndarray:
        if self._noise is None:
            self._noise = _tileable_noise(self.h, self.w, self.rng)
        return self._noise

    def smoke(self, img: np.ndarray, t: float) -> np.ndarray:
        import cv2

        self._cloud_noise()
        mx = self.xs - 0.05 * self.w * t
        my = self.ys + 0.02 * self.h * t
        n = cv2.remap(self._noise, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        a = (0.5 * n)[:, :, None]
        veil = np.float32(min(235.0, float(img.mean()) + 70.0))
        return np.clip(img.astype(np.float32) * (1 - a) + veil * a + 0.5, 0, 255).astype(np.uint8)

    def rain(self, img: np.ndarray, t: float) -> np.ndarray:
        return _draw_weather(self._weather, img, t)

    snow = rain


def _sky_weight(still: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """0..1 per pixel: how much of the region is sky — the part of it that joins its top edge
    in one smooth run of colour (a flood fill from the region's top that follows the sky's
    gradient and stops at roofs, lamps and trees). A region with no such part (its top is not
    sky) is all sky: clouds were asked for there."""
    import cv2

    h, w = mask.shape
    ys = np.nonzero(mask.any(axis=1))[0]
    top = int(ys.min())
    img = cv2.GaussianBlur(still, (5, 5), 0)
    fill = np.zeros((h + 2, w + 2), np.uint8)
    flags = 4 | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
    for x in np.nonzero(mask[top])[0][:: max(1, w // 64)]:
        if fill[top + 1, x + 1]:
            continue
        cv2.floodFill(img, fill, (int(x), top), (0, 0, 0), (4, 4, 4), (4, 4, 4), flags)
    sky = (fill[1:-1, 1:-1] > 0) & mask
    if sky.sum() < 0.05 * mask.sum():
        sky = mask
    return cv2.GaussianBlur(sky.astype(np.float32), (0, 0), 1.5)


def _glow(still: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """0..1 per pixel: the region's lights (its brightest pixels) and a glow around them."""
    import cv2

    lum = still.astype(np.float32) @ np.float32([0.299, 0.587, 0.114])
    inside = lum[mask]
    lo, hi = np.percentile(inside, 85), np.percentile(inside, 99.5)
    lights = np.clip((lum - lo) / max(1.0, hi - lo), 0, 1) * mask
    radius = max(2.0, min(still.shape[:2]) / 80.0)
    return np.clip(lights + 0.6 * cv2.GaussianBlur(lights, (0, 0), radius), 0, 1)


def _tileable_noise(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Soft cloudy noise in 0..1 that tiles (low-passed white noise, periodic by the FFT)."""
    white = rng.standard_normal((h, w))
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    cut = 6.0 / max(h, w)
    soft = np.real(np.fft.ifft2(np.fft.fft2(white) * np.exp(-(fx**2 + fy**2) / (2 * cut**2))))
    soft = (soft - soft.min()) / max(1e-9, float(soft.max() - soft.min()))
    return np.clip((soft - 0.35) / 0.65, 0, 1).astype(np.float32)
