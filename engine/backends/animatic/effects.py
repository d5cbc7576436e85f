"""Screen-space effects: weather particles, haze, the slate/caption overlay, and remix looks.

Particles are a pure function of (seed, t), so any frame can be drawn on its own.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from engine.backends.animatic.grammar import ShotSpec

__all__ = ["Look", "Overlay", "Weather", "apply_haze"]

_LUMA = np.array([0.299, 0.587, 0.114])


def apply_haze(frame: np.ndarray, colour, amount: float) -> None:
    """Blend `frame` toward `colour` by `amount`, in place (lowers contrast, like fog)."""
    a = float(amount)
    m = np.zeros((3, 4))
    m[:, :3] = np.eye(3) * (1 - a)
    m[:, 3] = np.asarray(colour, float) * a
    cv2.transform(frame, m, dst=frame)


class Weather:
    """Rain streaks and snowflakes drawn over the frame (deterministic from seed and time)."""

    def __init__(
        self,
        kinds: frozenset[str] | set[str],
        width: int,
        height: int,
        seed: int,
        *,
        night: bool = False,
        density: float = 1.0,
    ) -> None:
        self.kinds = frozenset(kinds)
        self.width, self.height = width, height
        rng = np.random.default_rng([seed & 0xFFFFFFFF, 11])
        area = width * height
        self.night = night
        self.rain = None
        self.snow = None
        if "rain" in self.kinds:
            n = max(int(60 * density), int(0.00045 * area * density))
            vy = rng.uniform(1.6, 2.4, n) * height
            self.rain = dict(
                x=rng.uniform(0, width, n),
                y=rng.uniform(0, height, n),
                vy=vy,
                vx=0.12 * vy,
                length=rng.uniform(0.03, 0.07, n) * height,
                bright=rng.random(n) < 0.5,
            )
        if "snow" in self.kinds:
            n = max(int(50 * density), int(0.00035 * area * density))
            scale = max(0.5, height / 720)
            self.snow = dict(
                x=rng.uniform(0, width, n),
                y=rng.uniform(0, height, n),
                vy=rng.uniform(0.06, 0.18, n) * height,
                r=np.round(rng.uniform(1.0, 3.2, n) * scale * 16).astype(int),
                sway=rng.uniform(0.005, 0.02, n) * width,
                freq=rng.uniform(0.2, 0.7, n),
                phase=rng.uniform(0, 2 * math.pi, n),
            )

    def draw(self, frame: np.ndarray, t: float) -> None:
        w, h = self.width, self.height
        if self.rain is not None:
            p = self.rain
            span = h + p["length"]
            y = np.mod(p["y"] + p["vy"] * t, span) - p["length"] * 0.5
            x = np.mod(p["x"] + p["vx"] * t, w + 20) - 10
            dx = p["vx"] / p["vy"] * p["length"]
            seg = np.stack([np.stack([x, y], 1), np.stack([x - dx, y - p["length"]], 1)], 1)
            seg = np.round(seg * 16).astype(np.int32)
            # light and dark streaks, so rain reads over a bright sky and a dark ground alike
            bright = (226, 230, 238) if not self.night else (124, 130, 146)
            dim = (92, 100, 118) if not self.night else (58, 62, 74)
            cv2.polylines(frame, seg[p["bright"]], False, bright, 1, cv2.LINE_AA, 4)
            cv2.polylines(frame, seg[~p["bright"]], False, dim, 1, cv2.LINE_AA, 4)
        if self.snow is not None:
            p = self.snow
            y = np.mod(p["y"] + p["vy"] * t, h + 8) - 4
            x = np.mod(p["x"] + p["sway"] * np.sin(2 * math.pi * p["freq"] * t + p["phase"]), w)
            colour = (240, 242, 246) if not self.night else (130, 134, 146)
            xs = np.round(x * 16).astype(int)
            ys = np.round(y * 16).astype(int)
            for xi, yi, ri in zip(xs.tolist(), ys.tolist(), p["r"].tolist(), strict=True):
                cv2.circle(frame, (xi, yi), ri, colour, -1, cv2.LINE_AA, 4)


class Overlay:
    """A slate/caption box burned into the top-left corner (precomputed, alpha-blended)."""

    def __init__(self, text: str, width: int, height: int) -> None:
        self.text = text
        box_h = max(14, int(round(height / 13)))
        margin = max(3, int(round(height / 40)))
        font = cv2.FONT_HERSHEY_SIMPLEX
        scale = box_h / 42.0
        thickness = max(1, int(round(box_h / 20)))
        (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
        max_w = width - 2 * margin - box_h // 2
        if tw > max_w:
            scale *= max_w / tw
            (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
        pad = box_h // 4
        box_w = min(width - 2 * margin, tw + 2 * pad)
        self.y0, self.x0 = margin, margin
        self.y1, self.x1 = margin + box_h, margin + box_w
        patch = np.zeros((box_h, box_w, 3), np.uint8)
        alpha = np.full((box_h, box_w), 0.62, np.float32)
        text_layer = np.zeros((box_h, box_w), np.uint8)
        org = (pad, (box_h + th) // 2)
        cv2.putText(text_layer, text, org, font, scale, 255, thickness, cv2.LINE_AA)
        ta = text_layer.astype(np.float32) / 255.0
        patch[:] = (250, 250, 250)
        self.alpha = np.maximum(alpha * (1 - ta), ta)[:, :, None]
        self.colour = (ta[:, :, None] * patch.astype(np.float32)).astype(np.float32)
        # blend: out = frame * (1 - alpha) + colour  (colour already premultiplied)

    def draw(self, frame: np.ndarray) -> None:
        region = frame[self.y0 : self.y1, self.x0 : self.x1]
        blended = region.astype(np.float32) * (1 - self.alpha) + self.colour
        region[:] = np.clip(blended, 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Looks (remix)


def _sat(k: float) -> np.ndarray:
    m = np.zeros((3, 4))
    m[:, :3] = k * np.eye(3) + (1 - k) * np.outer(np.ones(3), _LUMA)
    return m


def _gain(r: float, g: float, b: float, offset=(0.0, 0.0, 0.0)) -> np.ndarray:
    m = np.zeros((3, 4))
    m[:, :3] = np.diag([r, g, b])
    m[:, 3] = offset
    return m


def _contrast(c: float, pivot: float = 118.0) -> np.ndarray:
    m = np.zeros((3, 4))
    m[:, :3] = c * np.eye(3)
    m[:, 3] = pivot * (1 - c)
    return m


def _then(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Affine 3x4 composition: apply `first`, then `second`."""
    out = np.zeros((3, 4))
    out[:, :3] = second[:, :3] @ first[:, :3]
    out[:, 3] = second[:, :3] @ first[:, 3] + second[:, 3]
    return out


_TIME_LOOKS = {
    "night": [_gain(0.34, 0.4, 0.58), _sat(0.6)],
    "dusk": [_gain(1.08, 0.82, 0.6, (16, 4, 0))],
    "dawn": [_gain(1.04, 0.93, 0.92, (10, 4, 8))],
}
_WEATHER_LOOKS = {
    "rain": [_sat(0.75), _gain(0.8, 0.82, 0.86)],
    "snow": [_sat(0.7), _gain(0.9, 0.93, 0.98, (34, 36, 42))],
    "fog": [_contrast(0.6, 0.0), _gain(1, 1, 1, (0.4 * 200, 0.4 * 202, 0.4 * 206))],
}
_STYLE_LOOKS = {
    "teal_orange": [_gain(1.1, 1.0, 0.86, (-8, 6, 20))],
    "warm": [_gain(1.08, 1.0, 0.84)],
    "cool": [_gain(0.86, 0.97, 1.1)],
    "vivid": [_sat(1.45)],
    "desaturated": [_sat(0.45)],
    "neon": [_sat(1.3), _gain(1.1, 0.78, 1.16), _contrast(1.2)],
    "high_contrast": [_contrast(1.4)],
    "vintage": [
        _sat(0.7),
        _gain(1.05, 0.98, 0.84),
        _contrast(0.84, 0.0),
        _gain(1, 1, 1, (18, 16, 12)),
    ],
    "sepia": [_sat(0.0), _gain(1.07, 0.86, 0.62, (14, 6, 0))],
    "mono": [_sat(0.0)],
    "noir": [_sat(0.0), _contrast(1.6, 112.0)],
}


class Look:
    """The colour grade and effects a remix prompt asks for, at a strength in (0, 1]."""

    def __init__(self, spec: ShotSpec, width: int, height: int, seed: int, strength: float) -> None:
        self.strength = float(strength)
        steps: list[np.ndarray] = []
        names: list[str] = []
        if spec.time_of_day in _TIME_LOOKS:
            steps += _TIME_LOOKS[spec.time_of_day]
            names.append(spec.time_of_day)
        for w in ("rain", "snow", "fog"):
            if w in spec.weather:
                steps += _WEATHER_LOOKS[w]
                names.append(w)
        for name in (
            "teal_orange",
            "warm",
            "cool",
            "vivid",
            "desaturated",
            "neon",
            "high_contrast",
            "vintage",
            "sepia",
            "mono",
            "noir",
        ):
            if name in spec.looks:
                steps += _STYLE_LOOKS[name]
                names.append(name)
        m = _gain(1, 1, 1)
        for step in steps:
            m = _then(m, step)
        ident = _gain(1, 1, 1)
        self.matrix = ident + self.strength * (m - ident)
        self.names = tuple(names)
        self.vignette = None
        amount = 0.5 if "noir" in spec.looks else 0.3 if "vintage" in spec.looks else 0.0
        amount *= self.strength
        if amount > 0:
            yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
            r = np.sqrt(
                ((xx - width / 2) / (width / 2)) ** 2 + ((yy - height / 2) / (height / 2)) ** 2
            ) / math.sqrt(2)
            v = 1.0 - amount * np.clip((r - 0.35) / 0.65, 0, 1) ** 1.6
            self.vignette = np.repeat(v[:, :, None], 3, axis=2).astype(np.float32)
        self.grain = None
        if "vintage" in spec.looks:
            rng = np.random.default_rng([seed & 0xFFFFFFFF, 21])
            self.grain = [
                rng.normal(0, 9 * self.strength, (height, width, 1)).astype(np.float32)
                for _ in range(4)
            ]
        weather = {w for w in spec.weather if w in ("rain", "snow")}
        self.weather = (
            Weather(
                weather,
                width,
                height,
                seed,
                night=spec.time_of_day == "night",
                density=self.strength,
            )
            if weather
            else None
        )

    def apply(self, frame: np.ndarray, index: int, t: float) -> np.ndarray:
        out = cv2.transform(frame, self.matrix)
        if self.vignette is not None or self.grain is not None:
            f = out.astype(np.float32)
            if self.vignette is not None:
                f *= self.vignette
            if self.grain is not None:
                f += self.grain[index % len(self.grain)]
            out = np.clip(f, 0, 255).astype(np.uint8)
        if self.weather is not None:
            self.weather.draw(out, t)
        return out
