"""The animatic renderer: a `ShotSpec` to RGB frames, one frame per call, as a function of time.

Fast by construction: the sky/ground gradient is a precomputed strip sliced at the horizon row,
everything else is a few dozen OpenCV primitives projected through a pinhole camera with
sub-pixel precision (``shift``); camera roll (Dutch angle, handheld) rotates the projected
points, and the rolled sky/ground gradient is drawn as thin polygon bands. No per-pixel Python.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from engine.backends.animatic.camera import NEAR, CameraPose, CameraRig
from engine.backends.animatic.effects import Overlay, Weather, apply_haze
from engine.backends.animatic.grammar import ShotSpec
from engine.backends.animatic.scene import Box, Figure, Light, Scene, build_scene, light_for

__all__ = ["ShotRenderer"]

SHIFT = 4
ONE = 1 << SHIFT
_LIMIT = 30000.0  # pixel coordinates are kept within +-_LIMIT (cv2 uses ints)

# Box faces: corner indices (corner bit 0: x hi, bit 1: y hi, bit 2: z hi), outward normal, shade
_BOX_FACES = (
    ((0, 1, 3, 2), (0.0, 0.0, -1.0), 1.0),  # front (-z)
    ((4, 6, 7, 5), (0.0, 0.0, 1.0), 0.92),  # back (+z)
    ((0, 2, 6, 4), (-1.0, 0.0, 0.0), 0.8),  # left (-x)
    ((1, 5, 7, 3), (1.0, 0.0, 0.0), 0.84),  # right (+x)
    ((2, 3, 7, 6), (0.0, 1.0, 0.0), 1.12),  # top (+y)
    ((0, 4, 5, 1), (0.0, -1.0, 0.0), 0.6),  # bottom (-y)
)


def _box_corners(box: Box) -> np.ndarray:
    lo, hi = box.lo, box.hi
    return np.array(
        [
            [hi[0] if i & 1 else lo[0], hi[1] if i & 2 else lo[1], hi[2] if i & 4 else lo[2]]
            for i in range(8)
        ],
        dtype=np.float64,
    )


def _clip_near(poly: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: keep the part of a camera-space polygon with z >= NEAR."""
    out = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        a_in, b_in = a[2] >= NEAR, b[2] >= NEAR
        if a_in:
            out.append(a)
        if a_in != b_in:
            s = (NEAR - a[2]) / (b[2] - a[2])
            out.append(a + s * (b - a))
    return np.array(out) if out else np.zeros((0, 3))


def _clip_rect(poly: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Sutherland-Hodgman in 2D against an axis-aligned rectangle."""
    for axis, bound, keep_greater in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(poly) == 0:
            break
        out = []
        n = len(poly)
        for i in range(n):
            a, b = poly[i], poly[(i + 1) % n]
            a_in = a[axis] >= bound if keep_greater else a[axis] <= bound
            b_in = b[axis] >= bound if keep_greater else b[axis] <= bound
            if a_in:
                out.append(a)
            if a_in != b_in:
                s = (bound - a[axis]) / (b[axis] - a[axis])
                out.append(a + s * (b - a))
        poly = np.array(out) if out else np.zeros((0, 2))
    return poly


class _View:
    """Projection for one frame: camera-space transforms and pixel coordinates."""

    def __init__(self, pose: CameraPose, cx: float, cy: float, width: int, height: int) -> None:
        self.pose = pose
        self.basis = pose.basis()
        self.pos = pose.position
        self.f = pose.focal_px
        self.cx, self.cy = cx, cy
        self.roll = math.radians(pose.roll)
        self.cr, self.sr = math.cos(self.roll), math.sin(self.roll)
        m = 1.5
        self.rect = (-m * width, -m * height, (1 + m) * width, (1 + m) * height)

    def cam(self, pts: np.ndarray) -> np.ndarray:
        return (pts - self.pos) @ self.basis.T

    def pix(self, cam: np.ndarray) -> np.ndarray:
        z = cam[..., 2]
        du = self.f * cam[..., 0] / z
        dv = -self.f * cam[..., 1] / z
        if self.roll:  # image rotation, counter-clockwise for a positive roll
            du, dv = self.cr * du + self.sr * dv, -self.sr * du + self.cr * dv
        return np.stack([self.cx + du, self.cy + dv], axis=-1)

    def polygon(self, world: np.ndarray) -> np.ndarray | None:
        """Projected, clipped polygon in fixed-point pixels, or None if not visible."""
        return self.polygon_cam(self.cam(world))

    def polygon_cam(self, cam: np.ndarray) -> np.ndarray | None:
        """Like `polygon`, from camera-space vertices."""
        if (cam[:, 2] < NEAR).any():
            if (cam[:, 2] < NEAR).all():
                return None
            cam = _clip_near(cam)
            if len(cam) < 3:
                return None
        pts = self.pix(cam)
        x0, y0, x1, y1 = self.rect
        if (pts[:, 0] < x0).all() or (pts[:, 0] > x1).all():
            return None
        if (pts[:, 1] < y0).all() or (pts[:, 1] > y1).all():
            return None
        if (pts < (x0, y0)).any() or (pts > (x1, y1)).any():
            pts = _clip_rect(pts, x0, y0, x1, y1)
            if len(pts) < 3:
                return None
        return np.round(pts * ONE).astype(np.int32)


def _fix(pt) -> tuple[int, int]:
    return (
        int(round(max(-_LIMIT, min(_LIMIT, pt[0])) * ONE)),
        int(round(max(-_LIMIT, min(_LIMIT, pt[1])) * ONE)),
    )


def _segments(view: _View, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Project world segments a[i]-b[i]; near- and rect-clipped; fixed-point (m, 2, 2) int32."""
    ca, cb = view.cam(a), view.cam(b)
    za, zb = ca[:, 2], cb[:, 2]
    keep = (za >= NEAR) | (zb >= NEAR)
    ca, cb, za, zb = ca[keep], cb[keep], za[keep], zb[keep]
    if len(ca) == 0:
        return np.zeros((0, 2, 2), np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_a = np.where(za < NEAR, (NEAR - za) / (zb - za), 0.0)[:, None]
        s_b = np.where(zb < NEAR, (NEAR - zb) / (za - zb), 0.0)[:, None]
    ca, cb = ca + s_a * (cb - ca), cb + s_b * (ca - cb)
    pa, pb = view.pix(ca), view.pix(cb)
    # Liang-Barsky against the working rectangle
    x0, y0, x1, y1 = view.rect
    d = pb - pa
    t0 = np.zeros(len(pa))
    t1 = np.ones(len(pa))
    ok = np.ones(len(pa), bool)
    for p, q in (
        (-d[:, 0], pa[:, 0] - x0),
        (d[:, 0], x1 - pa[:, 0]),
        (-d[:, 1], pa[:, 1] - y0),
        (d[:, 1], y1 - pa[:, 1]),
    ):
        parallel = np.abs(p) < 1e-12
        ok &= ~(parallel & (q < 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
        t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
    ok &= t0 <= t1
    pa, pb, d, t0, t1 = pa[ok], pb[ok], d[ok], t0[ok], t1[ok]
    qa = pa + t0[:, None] * d
    qb = pa + t1[:, None] * d
    return np.round(np.stack([qa, qb], axis=1) * ONE).astype(np.int32)


def _col(c) -> tuple[int, int, int]:
    return (int(min(255, max(0, c[0]))), int(min(255, max(0, c[1]))), int(min(255, max(0, c[2]))))


class ShotRenderer:
    """Renders one shot: ``frame_at(t)`` gives the RGB uint8 frame at time t (seconds)."""

    def __init__(
        self,
        spec: ShotSpec,
        width: int,
        height: int,
        seed: int,
        *,
        duration: float = 5.0,
        overlay_text: str | None = None,
        weather: bool = True,
    ) -> None:
        self.spec = spec
        self.width, self.height = width, height
        self.rig = CameraRig(spec, width, height, seed)
        self.light: Light = light_for(spec)
        self.scene: Scene = build_scene(spec, seed, self.rig.distance, duration)
        self.cw, self.ch = width, height
        self.ccx, self.ccy = width / 2.0, height / 2.0
        self.weather = (
            Weather(spec.weather, width, height, seed, night=spec.time_of_day == "night")
            if weather
            else None
        )
        self.overlay = Overlay(overlay_text, width, height) if overlay_text else None
        self._strip = None if spec.interior else self._make_strip()
        self._bands = None if spec.interior else self._make_bands()
        self._grid = self._make_grid()
        self._box_corners = [_box_corners(b) for b in self.scene.boxes]
        self._trunks = [
            Box(
                (tr.x - 0.15, 0, tr.z - 0.15),
                (tr.x + 0.15, tr.trunk_h + 0.5, tr.z + 0.15),
                (90.0, 82.0, 74.0),
                kind="trunk",
            )
            for tr in self.scene.trees
        ]
        self._solids = list(self.scene.boxes) + self._trunks
        self._solid_corners = (
            np.stack([_box_corners(b) for b in self._solids]) if self._solids else None
        )
        self._prop_corners = _box_corners(self.scene.prop) if self.scene.prop is not None else None
        light = self.light
        self._cloud_col = _col(
            _mix(light.sky_horizon, (255, 255, 255), 0.35)
            if spec.time_of_day != "night"
            else _mix(light.sky_top, light.sky_horizon, 0.7)
        )
        self._ridge_col = _col(_mix(light.sky_horizon, _scale(light.ground_far, 0.75), 0.55))
        if spec.interior:
            self._grid_col = _col(_scale(light.floor, 0.8))
        else:
            self._grid_col = _col(_scale(_mix(light.ground_far, light.ground_near, 0.55), 0.8))

    # -- precomputation ---------------------------------------------------------------------
    def _gradient(self, d: np.ndarray) -> np.ndarray:
        """Sky/ground colour at signed distances `d` below the horizon (in frame heights)."""
        light = self.light
        sky_t = np.clip(-d / 0.9, 0, 1) ** 0.7
        ground_t = np.clip(d / 0.6, 0, 1) ** 0.8
        sky = (
            np.asarray(light.sky_horizon, np.float32)[None] * (1 - sky_t[:, None])
            + np.asarray(light.sky_top, np.float32)[None] * sky_t[:, None]
        )
        ground = (
            np.asarray(light.ground_far, np.float32)[None] * (1 - ground_t[:, None])
            + np.asarray(light.ground_near, np.float32)[None] * ground_t[:, None]
        )
        return np.clip(np.where((d < 0)[:, None], sky, ground), 0, 255).astype(np.uint8)

    def _make_strip(self) -> np.ndarray:
        """Sky and ground gradient for every horizon position: rows are distances to it."""
        ch = self.ch
        rows = np.arange(4 * ch, dtype=np.float32) - 2 * ch
        col = self._gradient(rows / ch)
        return np.ascontiguousarray(np.repeat(col[:, None, :], self.cw, axis=1))

    def _make_bands(self) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        """The same gradient as thin bands (edges in pixels from the horizon), for rolled frames."""
        h = self.ch
        inner = np.linspace(-0.95 * h, 0.65 * h, 161)
        edges = np.concatenate([[-50.0 * h], inner, [50.0 * h]])
        centres = np.concatenate([[-h], (inner[:-1] + inner[1:]) / 2, [h]])
        cols = [tuple(int(c) for c in col) for col in self._gradient(centres / h)]
        return edges, cols

    def _draw_rolled_background(self, canvas: np.ndarray, view: _View, horizon: float) -> None:
        edges, cols = self._bands
        # only the disc around the frame centre that the rolled frame can show matters
        reach = 0.5 * math.hypot(self.cw, self.ch) + 2.0
        lo = np.clip(horizon + edges[:-1], view.cy - reach, view.cy + reach)
        hi = np.clip(horizon + edges[1:], view.cy - reach, view.cy + reach)
        keep = hi > lo
        lo, hi = lo[keep], hi[keep]
        band_cols = [c for c, k in zip(cols, keep.tolist(), strict=True) if k]
        u0, u1 = view.cx - reach, view.cx + reach
        quads = np.stack(
            [
                np.stack([np.full_like(lo, u0), lo], 1),
                np.stack([np.full_like(lo, u1), lo], 1),
                np.stack([np.full_like(hi, u1), hi], 1),
                np.stack([np.full_like(hi, u0), hi], 1),
            ],
            axis=1,
        )
        du, dv = quads[..., 0] - view.cx, quads[..., 1] - view.cy
        quads = np.stack(
            [view.cx + view.cr * du + view.sr * dv, view.cy - view.sr * du + view.cr * dv],
            axis=-1,
        )
        fixed = np.round(quads * ONE).astype(np.int32)
        for i in range(len(fixed)):
            cv2.fillConvexPoly(canvas, fixed[i], band_cols[i], cv2.LINE_8, SHIFT)

    def _make_grid(self) -> tuple[np.ndarray, np.ndarray]:
        sc = self.scene
        if sc.interior and sc.room is not None:
            x0, x1, z0, z1, _ = sc.room
            xs = np.arange(math.ceil(x0), math.floor(x1) + 1, sc.grid_step)
            zs = np.arange(math.ceil(z0), math.floor(z1) + 1, sc.grid_step)
            a = [(x, 0.002, z0) for x in xs] + [(x0, 0.002, z) for z in zs]
            b = [(x, 0.002, z1) for x in xs] + [(x1, 0.002, z) for z in zs]
        else:
            step = sc.grid_step * max(1.0, self.rig.distance / 20.0)
            ext = max(sc.grid_extent, 1.6 * self.rig.distance)
            vals = np.arange(-ext, ext + 1e-6, step)
            a = [(x, 0.0, -ext) for x in vals] + [(-ext, 0.0, z) for z in vals]
            b = [(x, 0.0, ext) for x in vals] + [(ext, 0.0, z) for z in vals]
        return np.array(a, float), np.array(b, float)

    # -- per frame ----------------------------------------------------------------------------
    def frame_at(self, t: float) -> np.ndarray:
        pose = self.rig.pose(t)
        view = _View(pose, self.ccx, self.ccy, self.cw, self.ch)
        if self.scene.interior:
            canvas = np.empty((self.ch, self.cw, 3), np.uint8)
            canvas[:] = _col(_tint(self.light.wall, self.light))
            self._draw_room(canvas, view)
        else:
            horizon = self.ccy + view.f * math.tan(pose.pitch)
            if view.roll:
                canvas = np.empty((self.ch, self.cw, 3), np.uint8)
                self._draw_rolled_background(canvas, view, horizon)
            else:
                start = int(round(2 * self.ch - horizon))
                start = max(0, min(3 * self.ch, start))
                canvas = self._strip[start : start + self.ch].copy()
            self._draw_sky(canvas, view)
        self._draw_grid(canvas, view)
        self._draw_objects(canvas, view, t)
        frame = canvas
        if self.light.haze > 0:
            apply_haze(frame, self.light.fog_colour, self.light.haze)
        if self.weather is not None:
            self.weather.draw(frame, t)
        if self.overlay is not None:
            self.overlay.draw(frame)
        return frame

    def _draw_sky(self, canvas: np.ndarray, view: _View) -> None:
        sc = self.scene
        b = view.basis
        if self.light.stars and "fog" not in self.spec.weather:
            az, el = sc.stars[:, 0], sc.stars[:, 1]
            dirs = np.stack([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], 1)
            cam = dirs @ b.T
            front = cam[:, 2] > 0.05
            if front.any():
                p = view.pix(cam[front])
                x = np.round(p[:, 0]).astype(int)
                y = np.round(p[:, 1]).astype(int)
                ok = (x >= 0) & (x < self.cw) & (y >= 0) & (y < self.ch)
                canvas[y[ok], x[ok]] = (170, 175, 190)
        if "fog" not in self.spec.weather:
            for az, el, hw, hh in sc.clouds:
                d = np.array(
                    [math.sin(az) * math.cos(el), math.sin(el), math.cos(az) * math.cos(el)]
                )
                c = d @ b.T
                if c[2] < 0.2:
                    continue
                p = view.pix(c)
                ax = view.f * math.tan(hw) / c[2]
                ay = view.f * math.tan(hh) / c[2]
                if ax > 4 * self.cw:
                    continue
                cv2.ellipse(
                    canvas,
                    _fix(p),
                    (int(ax * ONE), int(max(ay, 0.5) * ONE)),
                    -view.pose.roll,
                    0,
                    360,
                    self._cloud_col,
                    -1,
                    cv2.LINE_AA,
                    SHIFT,
                )
        # far hills along the horizon
        az, el = sc.ridge[:, 0], sc.ridge[:, 1]
        top = np.stack([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], 1) @ b.T
        base = np.stack([np.sin(az), np.zeros_like(az), np.cos(az)], 1) @ b.T
        nxt = np.roll(np.arange(len(az)), -1)
        front = (
            (top[:, 2] > 0.05) & (top[nxt, 2] > 0.05) & (base[:, 2] > 0.05) & (base[nxt, 2] > 0.05)
        )
        if front.any():
            idx = np.nonzero(front)[0]
            pt, pb = view.pix(top), view.pix(base)
            quads = np.stack([pb[idx], pt[idx], pt[nxt[idx]], pb[nxt[idx]]], axis=1)
            quads = np.clip(quads, -_LIMIT, _LIMIT)
            cv2.fillPoly(
                canvas,
                list(np.round(quads * ONE).astype(np.int32)),
                self._ridge_col,
                cv2.LINE_AA,
                SHIFT,
            )

    def _draw_grid(self, canvas: np.ndarray, view: _View) -> None:
        a, b = self._grid
        segs = _segments(view, a, b)
        if len(segs):
            cv2.polylines(canvas, segs, False, self._grid_col, 1, cv2.LINE_AA, SHIFT)

    def _draw_room(self, canvas: np.ndarray, view: _View) -> None:
        x0, x1, z0, z1, c = self.scene.room
        light = self.light
        wall = light.wall
        surfaces = [
            ([(x0, 0, z0), (x1, 0, z0), (x1, 0, z1), (x0, 0, z1)], light.floor, 1.0),
            ([(x0, c, z0), (x0, c, z1), (x1, c, z1), (x1, c, z0)], light.ceiling, 1.0),
            ([(x0, 0, z1), (x1, 0, z1), (x1, c, z1), (x0, c, z1)], wall, 1.0),
            ([(x0, 0, z0), (x0, c, z0), (x1, c, z0), (x1, 0, z0)], wall, 0.9),
            ([(x0, 0, z0), (x0, 0, z1), (x0, c, z1), (x0, c, z0)], wall, 0.82),
            ([(x1, 0, z0), (x1, c, z0), (x1, c, z1), (x1, 0, z1)], wall, 0.86),
        ]
        width = x1 - x0
        wy0, wy1 = 1.0, min(2.4, c - 0.3)
        for k in (-0.28, 0.28):  # two windows on the back wall
            cx = k * width
            surfaces.append(
                (
                    [
                        (cx - 0.65, wy0, z1 - 0.01),
                        (cx + 0.65, wy0, z1 - 0.01),
                        (cx + 0.65, wy1, z1 - 0.01),
                        (cx - 0.65, wy1, z1 - 0.01),
                    ],
                    light.window,
                    1.0,
                )
            )
        dz = z0 + 0.6 * (z1 - z0)  # a door on the left wall
        surfaces.append(
            (
                [
                    (x0 + 0.01, 0, dz - 0.5),
                    (x0 + 0.01, 0, dz + 0.5),
                    (x0 + 0.01, 2.1, dz + 0.5),
                    (x0 + 0.01, 2.1, dz - 0.5),
                ],
                _scale(wall, 0.6),
                1.0,
            )
        )
        surfaces.append(
            (
                [
                    (x1 - 0.01, 1.2, dz - 0.6),
                    (x1 - 0.01, 1.2, dz + 0.6),
                    (x1 - 0.01, 2.0, dz + 0.6),
                    (x1 - 0.01, 2.0, dz - 0.6),
                ],
                _scale(wall, 0.72),
                1.0,
            )
        )  # a picture frame on the right wall
        for pts, colour, shade in surfaces:
            poly = view.polygon(np.array(pts, float))
            if poly is not None:
                is_window = colour is light.window
                col = colour if is_window else _tint(_scale(colour, shade), light, tint=False)
                cv2.fillPoly(canvas, [poly], _col(col), cv2.LINE_AA, SHIFT)

    def _shade(self, colour, depth: float, *, tint: bool = True) -> tuple[int, int, int]:
        light = self.light
        c = _tint(colour, light) if tint else colour
        if light.fog_distance is not None:
            k = 1.0 - math.exp(-max(depth, 0.0) / light.fog_distance)
        elif self.scene.interior:
            k = 0.0
        else:
            k = 0.85 * (1.0 - math.exp(-max(depth, 0.0) / 260.0))
        return _col(_mix(c, light.fog_colour, k))

    def _draw_objects(self, canvas: np.ndarray, view: _View, t: float) -> None:
        items: list[tuple[float, int, int]] = []
        cams = None
        n_boxes = len(self.scene.boxes)
        if self._solid_corners is not None:
            cams = view.cam(self._solid_corners)  # (n, 8, 3), every box in one go
            z = cams[..., 2]
            depth = z.mean(axis=1)
            visible = (z >= NEAR).any(axis=1)
            front = (z >= NEAR).all(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                u = view.cx + view.f * cams[..., 0] / z
                v = view.cy - view.f * cams[..., 1] / z
            x0, y0, x1, y1 = view.rect
            outside = (u < x0).all(1) | (u > x1).all(1) | (v < y0).all(1) | (v > y1).all(1)
            visible &= ~(front & outside)
            for i in np.nonzero(visible)[0].tolist():
                kind = 0 if i < n_boxes else 1
                items.append((float(depth[i]), kind, i))
        for i, fig in enumerate(self.scene.figures):
            x, z = _figure_xz(fig, t)
            d = float(view.cam(np.array([[x, 1.0, z]]))[0, 2])
            items.append((d, 2, i))
        if self._prop_corners is not None:
            c = self._prop_corners.mean(axis=0)
            items.append((float(view.cam(c[None])[0, 2]) - 0.01, 3, 0))
        items.sort(key=lambda it: -it[0])
        for d, kind, i in items:
            if kind == 0:
                self._draw_box(canvas, view, self._solids[i], cams[i], d)
            elif kind == 1:
                self._draw_box(canvas, view, self._solids[i], cams[i], d)
                self._draw_canopy(canvas, view, self.scene.trees[i - n_boxes], d)
            elif kind == 2:
                self._draw_figure(canvas, view, self.scene.figures[i], t)
            else:
                prop = self.scene.prop
                self._draw_box(canvas, view, prop, view.cam(self._prop_corners), d)
                if self.scene.prop_label:
                    top = view.cam(np.array([[0.0, 0.86, 0.0]]))
                    if top[0, 2] > NEAR:
                        p = view.pix(top)[0]
                        self._label(canvas, self.scene.prop_label, p[0], p[1], 14.0)

    def _draw_box(self, canvas, view: _View, box: Box, cam8: np.ndarray, depth: float) -> None:
        """Draw the faces of a box that face the camera (`cam8`: its corners, camera space)."""
        # a face is seen when the camera is on its outer side: test in camera space, where
        # the camera sits at the origin (so the test is -corner . normal_cam > 0)
        basis = view.basis
        for fi in box.faces:
            idx, normal, shade = _BOX_FACES[fi]
            pts = cam8[list(idx)]
            n_cam = basis @ np.asarray(normal)
            if float(pts[0] @ n_cam) >= 0:
                continue
            poly = view.polygon_cam(pts)
            if poly is None:
                continue
            col = self._shade(_scale(box.colour, shade), depth)
            cv2.fillPoly(canvas, [poly], col, cv2.LINE_AA, SHIFT)
        if box.kind == "pole" and self.light.lamps:
            top = cam8[[2, 3, 6, 7]].mean(axis=0) + basis @ np.array([0.0, 0.1, 0.0])
            if top[2] > 0.3:
                p = view.pix(top)
                r = view.f * 0.22 / top[2]
                if r < 2000:
                    cv2.circle(
                        canvas,
                        _fix(p),
                        max(1, int(r * ONE)),
                        (255, 226, 168),
                        -1,
                        cv2.LINE_AA,
                        SHIFT,
                    )

    def _draw_canopy(self, canvas, view: _View, tree, depth: float) -> None:
        c = view.cam(np.array([[tree.x, tree.trunk_h + tree.canopy_r * 0.8, tree.z]]))
        if c[0, 2] > NEAR + tree.canopy_r * 0.5:
            p = view.pix(c)[0]
            r = view.f * tree.canopy_r / c[0, 2]
            if r < 3 * self.cw:
                cv2.circle(
                    canvas,
                    _fix(p),
                    max(1, int(r * ONE)),
                    self._shade(tree.colour, depth),
                    -1,
                    cv2.LINE_AA,
                    SHIFT,
                )

    def _draw_figure(self, canvas: np.ndarray, view: _View, fig: Figure, t: float) -> None:
        x, z = _figure_xz(fig, t)
        h = fig.height
        right = view.basis[0].copy()
        right[1] = 0.0
        norm = np.linalg.norm(right)
        right = right / norm if norm > 1e-6 else np.array([1.0, 0.0, 0.0])
        toward = np.array([-right[2], 0.0, right[0]])  # horizontal, pointing at the camera
        if np.dot(toward, view.pos - np.array([x, 0.0, z])) < 0:
            toward = -toward
        vx, vz = fig.velocity
        speed = math.hypot(vx, vz)
        along = np.array([vx / speed, 0.0, vz / speed]) if speed > 0 else right
        phase = 2 * math.pi * speed * t / (1.5 if fig.gait == "walk" else 2.2)
        swing = (0.22 if fig.gait == "walk" else 0.38) * math.sin(phase) if speed > 0 else 0.0
        bob = 0.03 * abs(math.cos(phase)) if speed > 0 else 0.0
        up = np.array([0.0, 1.0, 0.0])
        base = np.array([x, 0.0, z])

        seated = fig.gait == "sit"
        y0 = 0.42 if seated else 0.0
        bb = bob if not seated else 0.0
        hy = -y0 + bb
        # body points as (lateral, height, along the walk, toward the camera) offsets
        table = [
            (0.0, 1.63 + hy, 0.0, 0.0),  # 0 head centre
            (-0.21, 1.47 + hy, 0.0, 0.0),  # 1, 2 shoulders (torso top)
            (0.21, 1.47 + hy, 0.0, 0.0),
            (0.16, 0.9 + hy, 0.0, 0.0),  # 3, 4 torso bottom
            (-0.16, 0.9 + hy, 0.0, 0.0),
            (-0.1, 0.93 + hy, 0.0, 0.0),  # 5, 6 hips
            (0.1, 0.93 + hy, 0.0, 0.0),
            (-0.1, 0.04, 0.0, 0.45) if seated else (-0.1, 0.04, swing, 0.0),  # 7, 8 feet
            (0.1, 0.04, 0.0, 0.45) if seated else (0.1, 0.04, -swing, 0.0),
            (-0.21, 1.42 + hy, 0.0, 0.0),  # 9, 10 arm roots
            (0.21, 1.42 + hy, 0.0, 0.0),
            (-0.27, 0.86 + hy, -0.6 * swing, 0.0),  # 11, 12 hands
            (0.27, 0.86 + hy, 0.6 * swing, 0.0),
        ]
        if seated:
            table += [(-0.1, 0.5, 0.0, 0.42), (0.1, 0.5, 0.0, 0.42)]  # 13, 14 knees
        axes = np.stack([right, up * h, along, toward])
        pts = base + np.array(table) @ axes
        head_c = pts[0]
        cam = view.cam(pts)
        if float(cam[:7, 2].min()) < 0.08:
            return
        p = view.pix(cam)
        zc = float(cam[0, 2])
        f = view.f
        colour = fig.colour
        if fig.foreground:
            colour = _scale(colour, 0.45)
        col = self._shade(colour, zc)
        head_col = self._shade(_mix(colour, (255, 255, 255), 0.18), zc)

        def thick(w: float) -> int:
            return int(max(1, min(30000, round(f * w * h / zc))))

        r = f * 0.115 * h / zc
        if view.pose.pitch < math.radians(-55):
            # seen from above: shoulders as a capsule, the head a disc on top
            cv2.line(canvas, _fix(p[9]), _fix(p[10]), col, thick(0.26), cv2.LINE_AA, SHIFT)
            cv2.circle(
                canvas,
                _fix(p[0]),
                int(max(1, min(_LIMIT, r)) * ONE),
                head_col,
                -1,
                cv2.LINE_AA,
                SHIFT,
            )
            if fig.label:
                self._label(canvas, fig.label, p[0][0], p[0][1] - r * 2.2, r)
            return

        # shadow on the ground
        sc = view.cam(base[None])[0]
        if sc[2] > NEAR and not fig.foreground:
            ps = view.pix(sc)
            ax = f * 0.34 / sc[2]
            elev = abs(view.pos[1]) / max(1e-3, math.hypot(view.pos[0] - x, view.pos[2] - z))
            ay = ax * min(1.0, max(0.12, elev))
            if ax < 4 * self.cw:
                shadow = _col(_scale(self.light.ground_near, 0.55))
                cv2.ellipse(
                    canvas,
                    _fix(ps),
                    (int(ax * ONE), int(ay * ONE)),
                    -view.pose.roll,
                    0,
                    360,
                    shadow,
                    -1,
                    cv2.LINE_AA,
                    SHIFT,
                )

        leg_w, arm_w = thick(0.14), thick(0.085)
        if seated:
            for hip, knee, foot in ((5, 13, 7), (6, 14, 8)):
                cv2.line(canvas, _fix(p[hip]), _fix(p[knee]), col, leg_w, cv2.LINE_AA, SHIFT)
                cv2.line(canvas, _fix(p[knee]), _fix(p[foot]), col, leg_w, cv2.LINE_AA, SHIFT)
        else:
            cv2.line(canvas, _fix(p[5]), _fix(p[7]), col, leg_w, cv2.LINE_AA, SHIFT)
            cv2.line(canvas, _fix(p[6]), _fix(p[8]), col, leg_w, cv2.LINE_AA, SHIFT)
        torso = np.clip(p[1:5], -_LIMIT, _LIMIT)
        cv2.fillConvexPoly(canvas, np.round(torso * ONE).astype(np.int32), col, cv2.LINE_AA, SHIFT)
        cv2.line(canvas, _fix(p[9]), _fix(p[11]), col, arm_w, cv2.LINE_AA, SHIFT)
        cv2.line(canvas, _fix(p[10]), _fix(p[12]), col, arm_w, cv2.LINE_AA, SHIFT)
        neck = thick(0.1)
        cv2.line(canvas, _fix(p[0]), _fix((p[1] + p[2]) / 2), col, neck, cv2.LINE_AA, SHIFT)
        cv2.circle(
            canvas, _fix(p[0]), int(max(1, min(_LIMIT, r)) * ONE), head_col, -1, cv2.LINE_AA, SHIFT
        )
        if fig.facing_camera and r > 9:
            eye = _col(_scale(colour, 0.25))
            for side in (-1, 1):
                e = view.cam((head_c + right * side * 0.042 * h + up * 0.02 * h)[None])
                if e[0, 2] > NEAR:
                    pe = view.pix(e)[0]
                    cv2.circle(
                        canvas, _fix(pe), int(max(1, r * 0.13) * ONE), eye, -1, cv2.LINE_AA, SHIFT
                    )
        if fig.label:
            self._label(canvas, fig.label, p[0][0], p[0][1] - r * 1.25, r)

    def _label(self, canvas, text: str, x: float, y: float, size_px: float) -> None:
        text_h = max(self.height / 45.0, min(self.height / 20.0, 0.7 * size_px))
        scale = max(0.3, text_h / 22.0)
        thickness = max(1, int(round(scale * 1.5)))
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        org = (int(x - tw / 2), int(max(th + 2, min(self.ch - 2, y))))
        if abs(org[0]) > _LIMIT or abs(org[1]) > _LIMIT:
            return
        cv2.putText(
            canvas,
            text,
            org,
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (16, 16, 16),
            thickness + 2,
            cv2.LINE_AA,
        )
        cv2.putText(
            canvas,
            text,
            org,
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (250, 250, 250),
            thickness,
            cv2.LINE_AA,
        )


def _figure_xz(fig: Figure, t: float) -> tuple[float, float]:
    x = fig.x + fig.velocity[0] * t
    z = max(fig.z + fig.velocity[1] * t, fig.z_min)
    return x, z


def _mix(a, b, t: float) -> tuple[float, float, float]:
    return tuple(float(x) * (1 - t) + float(y) * t for x, y in zip(a, b, strict=True))


def _scale(a, k: float) -> tuple[float, float, float]:
    return tuple(float(x) * k for x in a)


def _tint(colour, light: Light, *, tint: bool = True) -> tuple[float, float, float]:
    if not tint:
        return tuple(float(c) for c in colour)
    return tuple(float(c) * k for c, k in zip(colour, light.tint, strict=True))
