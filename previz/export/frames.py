"""Per-frame picture work, done directly on yuv420p arrays.

A frame travels through the reel pipeline as one ``uint8`` array of shape ``(H * 3 // 2, W)``
(the layout PyAV uses for ``yuv420p``: the Y plane, then U and V, each flattened). Working in the
encoder's own format avoids two full-frame colour conversions per frame; overlays (text, cards)
are rendered once in RGB, converted once, and alpha-blended into the planes.

Colours use BT.601 limited range, the matrix swscale assumes for untagged yuv420p, so a colour
drawn here decodes back to the same RGB through PyAV's ``to_ndarray(format="rgb24")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import av
import cv2
import numpy as np

from . import text as textmod

FitMode = Literal["fit", "fill", "stretch"]


def yuv_of_rgb(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = (float(c) for c in rgb)
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return tuple(int(round(min(255.0, max(0.0, c)))) for c in (y, u, v))  # type: ignore[return-value]


def _rgb_to_yuv_float(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rgb = rgb.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return y, u, v


def planes(arr: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of a yuv420p array."""
    cw, ch = width // 2, height // 2
    y = arr[:height]
    flat = arr[height:].reshape(-1)
    u = flat[: cw * ch].reshape(ch, cw)
    v = flat[cw * ch :].reshape(ch, cw)
    return y, u, v


def solid(width: int, height: int, rgb: tuple[int, int, int]) -> np.ndarray:
    arr = np.empty((height * 3 // 2, width), np.uint8)
    y, u, v = planes(arr, width, height)
    cy, cu, cv = yuv_of_rgb(rgb)
    y[...] = cy
    u[...] = cu
    v[...] = cv
    return arr


def rgb_to_yuv420(rgb: np.ndarray) -> np.ndarray:
    """Convert a full RGB image (even size) to a yuv420p array with swscale."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return frame.reformat(format="yuv420p").to_ndarray()


def yuv420_to_rgb(arr: np.ndarray, width: int, height: int) -> np.ndarray:
    frame = av.VideoFrame.from_ndarray(arr, format="yuv420p")
    return frame.reformat(format="rgb24").to_ndarray()


def to_video_frame(arr: np.ndarray) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(arr, format="yuv420p")


def frame_to_yuv420(frame: av.VideoFrame) -> np.ndarray:
    if frame.format.name != "yuv420p":
        frame = frame.reformat(format="yuv420p")
    return frame.to_ndarray()


def _even(x: float) -> int:
    return max(2, int(round(x / 2.0)) * 2)


class Fitter:
    """Scale a decoded frame to the reel size: letterbox/pillarbox, crop, or stretch."""

    def __init__(self, src_w: int, src_h: int, dst_w: int, dst_h: int, mode: FitMode) -> None:
        self.dst_w, self.dst_h = dst_w, dst_h
        self.mode = mode
        if mode == "stretch" or (src_w * dst_h == src_h * dst_w):
            sw, sh = dst_w, dst_h
        elif mode == "fit":
            scale = min(dst_w / src_w, dst_h / src_h)
            sw, sh = min(dst_w, _even(src_w * scale)), min(dst_h, _even(src_h * scale))
        else:  # fill
            scale = max(dst_w / src_w, dst_h / src_h)
            sw, sh = max(dst_w, _even(src_w * scale)), max(dst_h, _even(src_h * scale))
        self.scaled = (sw, sh)
        # where the scaled picture lands (fit) or which part of it is kept (fill); even offsets
        self.ox = ((dst_w - sw) // 2) & ~1 if sw < dst_w else 0
        self.oy = ((dst_h - sh) // 2) & ~1 if sh < dst_h else 0
        self.cx = ((sw - dst_w) // 2) & ~1 if sw > dst_w else 0
        self.cy = ((sh - dst_h) // 2) & ~1 if sh > dst_h else 0
        self.identity = (sw, sh) == (dst_w, dst_h)
        self._canvas_template = (
            solid(dst_w, dst_h, (0, 0, 0)) if (sw < dst_w or sh < dst_h) else None
        )

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        sw, sh = self.scaled
        if frame.width != sw or frame.height != sh or frame.format.name != "yuv420p":
            frame = frame.reformat(width=sw, height=sh, format="yuv420p", interpolation="BICUBIC")
        arr = frame.to_ndarray()
        if self.identity:
            return arr
        return self.place(arr)

    def place(self, arr: np.ndarray) -> np.ndarray:
        sw, sh = self.scaled
        sy, su, sv = planes(arr, sw, sh)
        if self._canvas_template is not None:  # fit: paste into black
            out = self._canvas_template.copy()
            dy, du, dv = planes(out, self.dst_w, self.dst_h)
            dy[self.oy : self.oy + sh, self.ox : self.ox + sw] = sy
            ox, oy, cw, chh = self.ox // 2, self.oy // 2, sw // 2, sh // 2
            du[oy : oy + chh, ox : ox + cw] = su
            dv[oy : oy + chh, ox : ox + cw] = sv
            return out
        out = np.empty((self.dst_h * 3 // 2, self.dst_w), np.uint8)  # fill: crop
        dy, du, dv = planes(out, self.dst_w, self.dst_h)
        cx, cy, w, h = self.cx, self.cy, self.dst_w, self.dst_h
        dy[...] = sy[cy : cy + h, cx : cx + w]
        du[...] = su[cy // 2 : cy // 2 + h // 2, cx // 2 : cx // 2 + w // 2]
        dv[...] = sv[cy // 2 : cy // 2 + h // 2, cx // 2 : cx // 2 + w // 2]
        return out


class Matte:
    """Black delivery-matte bars (e.g. 2.39:1 letterbox on a 16:9 reel)."""

    def __init__(self, width: int, height: int, ratio: float) -> None:
        self.width, self.height = width, height
        if width / height < ratio:  # reel is taller than the matte: bars top and bottom
            visible = min(height, _even(width / ratio))
            bar = ((height - visible) // 2) & ~1
            self.rows, self.cols = bar, 0
        else:  # reel is wider: bars left and right
            visible = min(width, _even(height * ratio))
            bar = ((width - visible) // 2) & ~1
            self.rows, self.cols = 0, bar
        self.black = yuv_of_rgb((0, 0, 0))

    def apply(self, arr: np.ndarray) -> None:
        if not self.rows and not self.cols:
            return
        y, u, v = planes(arr, self.width, self.height)
        by, bu, bv = self.black
        r, c = self.rows, self.cols
        if r:
            y[:r] = by
            y[self.height - r :] = by
            for p, val in ((u, bu), (v, bv)):
                p[: r // 2] = val
                p[(self.height - r) // 2 :] = val
        if c:
            y[:, :c] = by
            y[:, self.width - c :] = by
            for p, val in ((u, bu), (v, bv)):
                p[:, : c // 2] = val
                p[:, (self.width - c) // 2 :] = val


@dataclass
class Overlay:
    """A pre-converted RGBA patch: ``out = dst * (256 - a) + pre  >> 8`` per plane."""

    x: int
    y: int
    w: int
    h: int
    pre_y: np.ndarray
    inv_y: np.ndarray
    pre_u: np.ndarray
    pre_v: np.ndarray
    inv_c: np.ndarray

    @classmethod
    def from_rgba(cls, rgba: np.ndarray, x: int, y: int) -> Overlay:
        x, y = x & ~1, y & ~1
        h, w = rgba.shape[:2]
        if h % 2 or w % 2:  # pad to even size
            padded = np.zeros((h + h % 2, w + w % 2, 4), np.uint8)
            padded[:h, :w] = rgba
            rgba, h, w = padded, h + h % 2, w + w % 2
        a = rgba[..., 3].astype(np.float32) / 255.0
        yy, uu, vv = _rgb_to_yuv_float(rgba[..., :3])
        a_c = cv2.resize(a, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        u_c = cv2.resize(uu * a, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        v_c = cv2.resize(vv * a, (w // 2, h // 2), interpolation=cv2.INTER_AREA)

        def q(x_: np.ndarray) -> np.ndarray:
            return np.clip(np.rint(x_ * 256), 0, 65535).astype(np.uint16)

        return cls(
            x=x,
            y=y,
            w=w,
            h=h,
            pre_y=q(yy * a),
            inv_y=q(1.0 - a),
            pre_u=q(u_c),
            pre_v=q(v_c),
            inv_c=q(1.0 - a_c),
        )

    def clipped(self, width: int, height: int) -> Overlay | None:
        """This overlay cropped to a ``width`` x ``height`` frame (None if fully outside)."""
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.x + self.w), min(height, self.y + self.h)
        if x1 <= x0 or y1 <= y0:
            return None
        if (x0, y0, x1, y1) == (self.x, self.y, self.x + self.w, self.y + self.h):
            return self
        sx, sy = x0 - self.x, y0 - self.y
        w, h = (x1 - x0) & ~1, (y1 - y0) & ~1
        if w <= 0 or h <= 0:
            return None
        return Overlay(
            x=x0,
            y=y0,
            w=w,
            h=h,
            pre_y=self.pre_y[sy : sy + h, sx : sx + w],
            inv_y=self.inv_y[sy : sy + h, sx : sx + w],
            pre_u=self.pre_u[sy // 2 : (sy + h) // 2, sx // 2 : (sx + w) // 2],
            pre_v=self.pre_v[sy // 2 : (sy + h) // 2, sx // 2 : (sx + w) // 2],
            inv_c=self.inv_c[sy // 2 : (sy + h) // 2, sx // 2 : (sx + w) // 2],
        )

    def apply(self, arr: np.ndarray, width: int, height: int) -> None:
        y, u, v = planes(arr, width, height)
        x0, y0, w, h = self.x, self.y, self.w, self.h
        reg = y[y0 : y0 + h, x0 : x0 + w]
        reg[...] = (reg * self.inv_y + self.pre_y) >> 8
        cx, cy, cw, ch = x0 // 2, y0 // 2, w // 2, h // 2
        for plane, pre in ((u, self.pre_u), (v, self.pre_v)):
            reg = plane[cy : cy + ch, cx : cx + cw]
            reg[...] = (reg * self.inv_c + pre) >> 8


def text_rgba(
    lines: list[str] | str,
    size: int,
    *,
    color: tuple[int, int, int] = (255, 255, 255),
    box_alpha: float = 0.55,
    opacity: float = 1.0,
    bold: bool = False,
    align: str = "left",
    pad: int | None = None,
) -> np.ndarray:
    """White (or ``color``) text on an optional translucent black box, as RGBA."""
    pad = max(2, size // 4) if pad is None else pad
    mask = textmod.text_mask(lines, size, bold=bold, align=align, pad=pad)
    t = mask.astype(np.float32) / 255.0
    b = np.float32(box_alpha)
    alpha = t + b * (1.0 - t)
    safe = np.maximum(alpha, 1e-6)
    rgba = np.empty(mask.shape + (4,), np.uint8)
    for k in range(3):
        rgba[..., k] = np.clip(np.rint(color[k] * t / safe), 0, 255).astype(np.uint8)
    rgba[..., 3] = np.clip(np.rint(alpha * opacity * 255), 0, 255).astype(np.uint8)
    return rgba


class GlyphStrip:
    """Fast per-frame text for a fixed alphabet (timecode): glyphs rendered once, laid out in
    fixed-width cells and converted to an Overlay by slicing, not by drawing."""

    def __init__(self, alphabet: str, size: int, box_alpha: float = 0.55) -> None:
        self.size = size
        cell = max(textmod.measure(c, size).width for c in alphabet) + 1
        self.cell = cell + (cell % 2)
        self.pad = max(2, size // 4) & ~1
        self._glyph_rgba: dict[str, np.ndarray] = {}
        masks = {c: textmod.text_mask(c, size, pad=0) for c in alphabet}
        self.height = max(m.shape[0] for m in masks.values()) + 2 * self.pad
        self.height += self.height % 2
        self.box_alpha = box_alpha
        for c, m in masks.items():
            cellmask = np.zeros((self.height, self.cell), np.uint8)
            x = (self.cell - m.shape[1]) // 2
            cellmask[self.pad : self.pad + m.shape[0], max(0, x) : max(0, x) + m.shape[1]] = m[
                :, : self.cell
            ]
            self._glyph_rgba[c] = cellmask

    def width_for(self, n_chars: int) -> int:
        return n_chars * self.cell + 2 * self.pad

    def overlay(self, text: str, x: int, y: int) -> Overlay:
        mask = np.zeros((self.height, self.width_for(len(text))), np.uint8)
        for k, c in enumerate(text):
            g = self._glyph_rgba.get(c)
            if g is not None:
                mask[:, self.pad + k * self.cell : self.pad + (k + 1) * self.cell] = g
        t = mask.astype(np.float32) / 255.0
        alpha = t + self.box_alpha * (1.0 - t)
        rgba = np.empty(mask.shape + (4,), np.uint8)
        white = np.clip(np.rint(255 * t / np.maximum(alpha, 1e-6)), 0, 255).astype(np.uint8)
        rgba[..., 0] = white
        rgba[..., 1] = white
        rgba[..., 2] = white
        rgba[..., 3] = np.clip(np.rint(alpha * 255), 0, 255).astype(np.uint8)
        return Overlay.from_rgba(rgba, x, y)


def blend(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """(1 - t) * a + t * b, on whole yuv arrays (a dissolve is linear in YUV as in RGB)."""
    return cv2.addWeighted(a, 1.0 - t, b, t, 0.0)


def flow_interpolate(a: np.ndarray, b: np.ndarray, t: float, width: int, height: int) -> np.ndarray:
    """Frame at fraction ``t`` between ``a`` and ``b`` by Farneback optical flow.

    Flow is estimated on a downscaled luma plane (at most 480 px wide) and applied to all three
    planes; both neighbours are warped toward time ``t`` and cross-faded.
    """
    if t <= 0.0:
        return a
    if t >= 1.0:
        return b
    ya, ua, va = planes(a, width, height)
    yb, ub, vb = planes(b, width, height)
    scale = min(1.0, 480.0 / width)
    sw, sh = max(8, int(width * scale)), max(8, int(height * scale))
    ga = cv2.resize(ya, (sw, sh), interpolation=cv2.INTER_AREA)
    gb = cv2.resize(yb, (sw, sh), interpolation=cv2.INTER_AREA)
    flow = cv2.calcOpticalFlowFarneback(ga, gb, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) / scale
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    out = np.empty_like(a)
    oy, ou, ov = planes(out, width, height)

    def warp(src: np.ndarray, fx: np.ndarray, fy: np.ndarray, k: float, bx, by) -> np.ndarray:
        return cv2.remap(
            src, bx + fx * k, by + fy * k, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )

    fx, fy = flow[..., 0], flow[..., 1]
    # a pixel at p in the target frame came from p - t*flow in a and p + (1-t)*flow in b
    wa = warp(ya, fx, fy, -t, gx, gy)
    wb = warp(yb, fx, fy, 1.0 - t, gx, gy)
    oy[...] = cv2.addWeighted(wa, 1.0 - t, wb, t, 0.0)
    cfx = cv2.resize(fx, (width // 2, height // 2)) / 2
    cfy = cv2.resize(fy, (width // 2, height // 2)) / 2
    cgx, cgy = gx[::2, ::2][: height // 2, : width // 2], gy[::2, ::2][: height // 2, : width // 2]
    cgx, cgy = cgx / 2, cgy / 2
    for pa, pb, po in ((ua, ub, ou), (va, vb, ov)):
        wa = warp(pa, cfx, cfy, -t, cgx, cgy)
        wb = warp(pb, cfx, cfy, 1.0 - t, cgx, cgy)
        po[...] = cv2.addWeighted(wa, 1.0 - t, wb, t, 0.0)
    return out
