"""Slates, title cards and burn-ins.

Cards are drawn once in RGB and converted once to yuv420p; burn-ins are rendered once per shot
into pre-converted overlays and alpha-blended into each frame (only the timecode changes per
frame, and it is assembled from pre-rendered glyph cells).
"""

from __future__ import annotations

import datetime as _dt
from fractions import Fraction

import cv2
import numpy as np

from . import frames as fr
from . import text as textmod
from .plan import BurnIns, ReelOptions, ReelPlan, SequencePlan, ShotItem
from .timing import ReelEvent


def _paste_rgba(canvas: np.ndarray, rgba: np.ndarray, x: int, y: int) -> None:
    h, w = rgba.shape[:2]
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return
    patch = rgba[y0 - y : y1 - y, x0 - x : x1 - x]
    a = patch[..., 3:4].astype(np.float32) / 255.0
    region = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = np.clip(region * (1 - a) + patch[..., :3] * a + 0.5, 0, 255).astype(
        np.uint8
    )


def _centered(
    canvas: np.ndarray,
    lines: list[str] | str,
    size: int,
    y: int,
    *,
    bold: bool = False,
    color=(255, 255, 255),
) -> int:
    """Draw centred text with top at ``y``; return the y below it."""
    rgba = fr.text_rgba(lines, size, color=color, box_alpha=0.0, bold=bold, align="center")
    _paste_rgba(canvas, rgba, (canvas.shape[1] - rgba.shape[1]) // 2, y)
    return y + rgba.shape[0]


def _text_size(height: int, fraction: float, minimum: int = 8) -> int:
    return max(minimum, int(round(height * fraction)))


def head_slate(plan: ReelPlan, options: ReelOptions) -> np.ndarray:
    """Head slate: PREVIZ, project, sequences, version, date. Returns yuv420p."""
    W, H = plan.width, plan.height
    canvas = np.full((H, W, 3), (18, 18, 22), np.uint8)
    date = options.date or _dt.date.today().isoformat()
    y = int(H * 0.14)
    y = _centered(canvas, "PREVIZ", _text_size(H, 0.14), y, bold=True, color=(255, 200, 60))
    y += H // 30
    y = _centered(
        canvas,
        textmod.wrap(plan.project_name, _text_size(H, 0.075), int(W * 0.9), bold=True, max_lines=2),
        _text_size(H, 0.075),
        y,
        bold=True,
    )
    y += H // 40
    seqs = ", ".join(s.name for s in plan.sequences if s.items)
    size = _text_size(H, 0.045)
    y = _centered(canvas, textmod.wrap(seqs, size, int(W * 0.9), max_lines=2), size, y)
    y += H // 40
    info = f"{plan.version}   {date}   {_fps_label(plan.fps)} fps   {W}x{H}"
    y = _centered(canvas, info, size, y, color=(200, 200, 200))
    return fr.rgb_to_yuv420(canvas)


def scene_card(plan: ReelPlan, seq: SequencePlan) -> np.ndarray:
    W, H = plan.width, plan.height
    canvas = np.zeros((H, W, 3), np.uint8)
    big = _text_size(H, 0.11)
    title = f"SCENE {seq.scene}" if seq.scene else seq.name
    y = int(H * 0.36)
    y = _centered(
        canvas, textmod.wrap(title, big, int(W * 0.9), bold=True, max_lines=2), big, y, bold=True
    )
    if seq.name and seq.name != title:
        size = _text_size(H, 0.05)
        _centered(
            canvas,
            textmod.wrap(seq.name, size, int(W * 0.9), max_lines=2),
            size,
            y + H // 30,
            color=(190, 190, 190),
        )
    return fr.rgb_to_yuv420(canvas)


def missing_take_slate(plan: ReelPlan, item: ShotItem, frames: int) -> np.ndarray:
    """The card that stands in for a shot with no take: shot code, duration and prompt."""
    W, H = plan.width, plan.height
    canvas = np.full((H, W, 3), (44, 48, 58), np.uint8)
    # diagonal hatch so the card reads as "not a picture" at a glance
    step = max(8, W // 24)
    for x in range(-H, W, step):
        pts = np.array([[x, H], [x + H, 0]], np.int32)
        cv2.polylines(canvas, [pts], False, (52, 57, 68), max(1, step // 6))
    big = _text_size(H, 0.11)
    y = int(H * 0.14)
    y = _centered(canvas, item.label, big, y, bold=True)
    size = _text_size(H, 0.05)
    secs = float(Fraction(frames) / Fraction(plan.fps))
    y = _centered(
        canvas, f"NO TAKE YET  -  {secs:.1f} s planned", size, y + H // 40, color=(255, 200, 60)
    )
    if item.camera:
        y = _centered(
            canvas,
            textmod.wrap(item.camera, size, int(W * 0.85), max_lines=1),
            size,
            y + H // 60,
            color=(200, 200, 200),
        )
    if item.prompt:
        psize = _text_size(H, 0.045)
        lines = textmod.wrap(item.prompt, psize, int(W * 0.85), max_lines=5)
        _centered(canvas, lines, psize, y + H // 30, color=(230, 230, 230))
    return fr.rgb_to_yuv420(canvas)


def _fps_label(fps: Fraction) -> str:
    fps = Fraction(fps)
    if fps.denominator == 1:
        return str(fps.numerator)
    return f"{float(fps):.3f}".rstrip("0").rstrip(".")


def timecode_start_frames(options: ReelOptions, fps: Fraction) -> int:
    """Absolute frame of ``options.timecode_start`` (the first shot's timecode)."""
    from .editorial import timecode_frames

    drop = bool(options.burnins and options.burnins.drop_frame)
    return timecode_frames(options.timecode_start, fps, drop)


def timecode(frame: int, fps: Fraction, drop_frame: bool = False) -> str:
    """SMPTE timecode of an absolute frame number (``previz.core.time``)."""
    from .editorial import timecode_label

    return timecode_label(frame, fps, drop_frame)


class BurnInRenderer:
    """Per-frame burn-ins: shot code + take (top left), timecode (top right), dialogue caption
    and watermark (bottom centre)."""

    def __init__(
        self,
        plan: ReelPlan,
        options: ReelOptions,
        *,
        start: int | None = None,
        drop_frame: bool | None = None,
    ) -> None:
        """``start``: the absolute timecode frame of reel frame 0 (the reel's start timecode,
        see ``editorial.build_layout``); ``drop_frame``: drop-frame labels."""
        self.cfg: BurnIns = options.burnins or BurnIns(False, False, False, False, False)
        self.W, self.H = plan.width, plan.height
        self.fps = Fraction(plan.fps)
        self.size = max(10, int(round(self.H / 24)))
        self.margin = max(2, int(round(self.H / 36))) & ~1
        self.drop = self.cfg.drop_frame if drop_frame is None else drop_frame
        self.tc0 = timecode_start_frames(options, self.fps) if start is None else start
        self._cache: dict[int, list[fr.Overlay]] = {}
        self._common: list[fr.Overlay] = []
        self._wm_top = self.H - self.margin
        if self.cfg.watermark and self.cfg.watermark_text:
            rgba = fr.text_rgba(
                self.cfg.watermark_text, max(8, int(self.size * 0.8)), box_alpha=0.35, opacity=0.75
            )
            x = (self.W - rgba.shape[1]) // 2
            y = self.H - self.margin - rgba.shape[0]
            self._wm_top = y
            self._add(self._common, rgba, x, y)
        self.tc_strip = None
        if self.cfg.timecode:
            self.tc_strip = fr.GlyphStrip("0123456789:;", self.size)
            self._tc_x = self.W - self.margin - self.tc_strip.width_for(11)
        self.active = (
            bool(self._common)
            or self.tc_strip is not None
            or self.cfg.shot_code
            or self.cfg.take
            or self.cfg.dialogue
        )

    def _add(self, out: list[fr.Overlay], rgba: np.ndarray, x: int, y: int) -> None:
        ov = fr.Overlay.from_rgba(rgba, x, y).clipped(self.W, self.H)
        if ov is not None:
            out.append(ov)

    def _shot_overlays(self, ev: ReelEvent) -> list[fr.Overlay]:
        key = id(ev)
        if key in self._cache:
            return self._cache[key]
        out: list[fr.Overlay] = []
        item = ev.item
        if item is not None:
            parts = []
            if self.cfg.shot_code:
                parts.append(item.label)
            if self.cfg.take:
                parts.append(item.take_label)
            if parts:
                self._add(
                    out,
                    fr.text_rgba("  ".join(parts), self.size, bold=True),
                    self.margin,
                    self.margin,
                )
            if self.cfg.dialogue and item.dialogue.strip():
                lines = textmod.wrap(
                    item.dialogue.strip(), self.size, int(self.W * 0.8), max_lines=2
                )
                rgba = fr.text_rgba(lines, self.size, color=(255, 240, 160), align="center")
                x = (self.W - rgba.shape[1]) // 2
                y = self._wm_top - rgba.shape[0] - self.margin // 2
                self._add(out, rgba, x, y)
        self._cache = {key: out} if len(self._cache) > 8 else {**self._cache, key: out}
        return out

    def apply(self, arr: np.ndarray, reel_frame: int, owner: ReelEvent | None) -> None:
        if owner is not None and owner.kind == "shot":
            for ov in self._shot_overlays(owner):
                ov.apply(arr, self.W, self.H)
        for ov in self._common:
            ov.apply(arr, self.W, self.H)
        if self.tc_strip is not None:
            tc = timecode(self.tc0 + reel_frame, self.fps, self.drop)
            ov = self.tc_strip.overlay(tc, self._tc_x, self.margin).clipped(self.W, self.H)
            if ov is not None:
                ov.apply(arr, self.W, self.H)
