"""The animatic renderer: a `ShotSpec` to RGB frames, one frame per call, as a function of time.

Fast by construction: the sky/ground gradient is a precomputed strip sliced at the horizon row,
everything else is a few dozen OpenCV primitives projected through a pinhole camera with
sub-pixel precision (``shift``); camera roll (Dutch angle, handheld) rotates the projected
points, and the rolled sky/ground gradient is drawn as thin polygon bands. No per-pixel Python.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from engine.backends.animatic.actions import pose_at
from engine.backends.animatic.camera import NEAR, CameraPose, CameraRig
from engine.backends.animatic.effects import Overlay, Weather, apply_haze
from engine.backends.animatic.figures import draw_figure
from engine.backends.animatic.grammar import ShotSpec
from engine.backends.animatic.pose import Pose
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


_FACE_IDX = np.array([f[0] for f in _BOX_FACES])
_FACE_FIRST = _FACE_IDX[:, 0]
_FACE_NORMALS = np.array([f[1] for f in _BOX_FACES])


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
        out = np.empty(du.shape + (2,))
        out[..., 0] = du + self.cx
        out[..., 1] = dv + self.cy
        return out

    def polygon(self, world: np.ndarray) -> np.ndarray | None:
        """Projected, clipped polygon in fixed-point pixels, or None if not visible."""
        return self.polygon_cam(self.cam(world))

    def polygon_cam(self, cam: np.ndarray) -> np.ndarray | None:
        """Like `polygon`, from camera-space vertices."""
        z = cam[:, 2]
        if z.min() < NEAR:
            if z.max() < NEAR:
                return None
            cam = _clip_near(cam)
            if len(cam) < 3:
                return None
        pts = self.pix(cam)
        x0, y0, x1, y1 = self.rect
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        if hi[0] < x0 or lo[0] > x1 or hi[1] < y0 or lo[1] > y1:
            return None
        if lo[0] < x0 or lo[1] < y0 or hi[0] > x1 or hi[1] > y1:
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
        self.duration = duration
        # A variation of the figures' motion that starts at a join (an extend with another
        # seed): (time of the join, +1 forward / -1 backward, the variation the source has at
        # the join, the new one). At the join the figures are exactly as the source left them;
        # away from it they ease into the new variation.
        self.variation: tuple[float, int, int, int] | None = None
        # A loop's way home: (period, weight). The camera and the figures are drawn `weight` of
        # the way from their state at t to their state at t - period (the same instant one loop
        # earlier), so the last frame leads into the first with no dissolve. Set per frame.
        self.loop_home: tuple[float, float] | None = None
        self._fig_index = {id(f): k for k, f in enumerate(self.scene.figures)}
        self.cw, self.ch = width, height
        self.ccx, self.ccy = width / 2.0, height / 2.0
        self.weather = (
            Weather(spec.weather, width, height, seed, night=spec.time_of_day == "night")
            if weather
            else None
        )
        self.overlay = Overlay(overlay_text, width, height) if overlay_text else None
        interior = self.scene.interior
        self._strip = None if interior else self._make_strip()
        self._bands = None if interior else self._make_bands()
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
        sc = self.scene
        self._flats = [
            (np.array(fl.points, float), self._flat_col(fl.colour, fl.points)) for fl in sc.flats
        ]
        self._lines: list[tuple[np.ndarray, np.ndarray, tuple[int, int, int]]] = []
        by_col: dict[tuple, list] = {}
        for a, b, c in sc.lines:
            by_col.setdefault(tuple(c), []).append((a, b))
        for c, segs in by_col.items():
            arr = np.array(segs, float)
            self._lines.append((arr[:, 0], arr[:, 1], self._flat_col(c, arr[0])))
        self._glows = (
            (
                np.array([g[:3] for g in sc.glows], float),
                [g[3] for g in sc.glows],
                [tuple(int(v) for v in g[4]) for g in sc.glows],
            )
            if sc.glows
            else None
        )
        self._cloud_col = _col(
            _mix(light.sky_horizon, (255, 255, 255), 0.35)
            if spec.time_of_day != "night"
            else _mix(light.sky_top, light.sky_horizon, 0.7)
        )
        self._ridge_col = _col(_mix(light.sky_horizon, _scale(light.ground_far, 0.75), 0.55))
        if interior:
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
        if self.loop_home is not None:
            period, w = self.loop_home
            home = self.rig.pose(t - period)
            pose = CameraPose(
                pose.position * (1 - w) + home.position * w,
                pose.yaw * (1 - w) + home.yaw * w,
                pose.pitch * (1 - w) + home.pitch * w,
                pose.roll * (1 - w) + home.roll * w,
                pose.focal_px * (1 - w) + home.focal_px * w,
            )
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
        if self.scene.grid:
            self._draw_grid(canvas, view)
        self._draw_set(canvas, view)
        self._draw_objects(canvas, view, t)
        if self.scene.glows and self.light.lamps:
            self._draw_glows(canvas, view)
        frame = canvas
        if self.light.haze > 0:
            apply_haze(frame, self.light.fog_colour, self.light.haze)
        if self.weather is not None:
            self.weather.draw(frame, t)
        if self.overlay is not None:
            self.overlay.draw(frame)
        return frame

    def _flat_col(self, colour, points) -> tuple[int, int, int]:
        depth = float(np.mean(np.abs(np.asarray(points, float)[..., 2]))) if len(points) else 0.0
        return self._shade(colour, min(depth, 40.0))

    def _draw_set(self, canvas: np.ndarray, view: _View) -> None:
        """Ground flats (deck, road, sea, rug) then set lines (planks, kerbs), under the objects."""
        for pts, col in self._flats:
            poly = view.polygon(pts)
            if poly is not None:
                cv2.fillPoly(canvas, [poly], col, cv2.LINE_AA, SHIFT)
        for a, b, col in self._lines:
            segs = _segments(view, a, b)
            if len(segs):
                cv2.polylines(canvas, segs, False, col, 1, cv2.LINE_AA, SHIFT)

    def _draw_glows(self, canvas: np.ndarray, view: _View) -> None:
        pos, radii, cols = self._glows
        cam = view.cam(pos)
        ok = cam[:, 2] > 0.3
        if not ok.any():
            return
        pix = view.pix(cam)
        for i in np.nonzero(ok)[0].tolist():
            r = view.f * radii[i] / cam[i, 2]
            if r < 2000:
                cv2.circle(
                    canvas, _fix(pix[i]), max(1, int(max(r, 1.0) * ONE)), cols[i], -1,
                    cv2.LINE_AA, SHIFT,
                )  # fmt: skip

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
        for fl in self.scene.details:
            col = light.window if fl.colour[0] < 0 else fl.colour
            surfaces.append((list(fl.points), col, 1.0))
        for k in () if self.scene.details else (-0.28, 0.28):  # two windows on the back wall
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
        if not self.scene.details:
            self._legacy_details(surfaces, x0, x1, dz, wall)
        for pts, colour, shade in surfaces:
            poly = view.polygon(np.array(pts, float))
            if poly is not None:
                is_window = colour is light.window
                col = colour if is_window else _tint(_scale(colour, shade), light, tint=False)
                cv2.fillPoly(canvas, [poly], _col(col), cv2.LINE_AA, SHIFT)

    @staticmethod
    def _legacy_details(surfaces: list, x0: float, x1: float, dz: float, wall) -> None:
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
            # boxes smaller than a pixel (far bollards, posts) are not drawn
            tiny = front & (np.ptp(u, axis=1) < 0.8) & (np.ptp(v, axis=1) < 0.8)
            visible &= ~tiny
            for i in np.nonzero(visible)[0].tolist():
                kind = 0 if i < n_boxes else 1
                items.append((float(depth[i]), kind, i))
        for i, fig in enumerate(self.scene.figures):
            pose = self.figure_pose(fig, t)
            x, z = pose.x, pose.z
            d = float(view.cam(np.array([[x, 1.0, z]]))[0, 2])
            items.append((d, 2, i))
        if self._prop_corners is not None:
            c = self._prop_corners.mean(axis=0)
            items.append((float(view.cam(c[None])[0, 2]) - 0.01, 3, 0))
        items.sort(key=lambda it: -it[0])
        # Close-ups get a shallow depth of field: what lies well behind the subject (the
        # nearest figure) is drawn, blurred once, then the subject and what is in front of it.
        focus = None
        if self.spec.shot_size in SHALLOW_FOCUS and self.scene.figures:
            focus = DOF_BEHIND * min(d for d, kind, _ in items if kind == 2)
        for d, kind, i in items:
            if focus is not None and d <= focus:
                _defocus(canvas, self.spec.shot_size)
                focus = None
            if kind == 0:
                self._draw_box(canvas, view, self._solids[i], cams[i], d)
            elif kind == 1:
                self._draw_box(canvas, view, self._solids[i], cams[i], d)
                self._draw_canopy(canvas, view, self.scene.trees[i - n_boxes], d)
            elif kind == 2:
                self._draw_articulated(canvas, view, self.scene.figures[i], t)
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
        face_n = getattr(view, "face_n", None)
        if face_n is None:
            face_n = view.face_n = _FACE_NORMALS @ basis.T
        facing = np.einsum("ij,ij->i", cam8[_FACE_FIRST], face_n) < 0
        for fi in box.faces:
            if not facing[fi]:
                continue
            idx, _normal, shade = _BOX_FACES[fi]
            poly = view.polygon_cam(cam8[_FACE_IDX[fi]])
            if poly is None:
                continue
            col = self._shade(_scale(box.colour, shade), depth)
            cv2.fillPoly(canvas, [poly], col, cv2.LINE_AA, SHIFT)
            if fi == 0 and box.windows:
                self._draw_windows(canvas, view, box, depth)
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

    def _draw_windows(self, canvas, view: _View, box: Box, depth: float) -> None:
        """The windows of a facade (its front face), in one fillPoly per colour."""
        w = np.asarray(box.windows, float)
        z = box.lo[2] - 0.02
        quads = np.stack(
            [
                np.stack([w[:, 0], w[:, 1], np.full(len(w), z)], 1),
                np.stack([w[:, 2], w[:, 1], np.full(len(w), z)], 1),
                np.stack([w[:, 2], w[:, 3], np.full(len(w), z)], 1),
                np.stack([w[:, 0], w[:, 3], np.full(len(w), z)], 1),
            ],
            axis=1,
        )
        cam = view.cam(quads)
        ok = (cam[..., 2] >= NEAR).all(axis=1)
        if not ok.any():
            return
        pix = np.clip(view.pix(cam[ok]), -_LIMIT, _LIMIT)
        polys = np.round(pix * ONE).astype(np.int32)
        light = self.light
        if light.lamps:  # lit windows at dusk and night, every other one dark
            lit = _col(_mix((200, 176, 130), light.fog_colour, 0.2))
            dark = self._shade(_scale(box.colour, 0.45), depth)
            cv2.fillPoly(canvas, list(polys[0::2]), lit, cv2.LINE_AA, SHIFT)
            if len(polys) > 1:
                cv2.fillPoly(canvas, list(polys[1::2]), dark, cv2.LINE_AA, SHIFT)
        else:
            glass = self._shade(_mix(light.window, (70, 80, 92), 0.55), depth)
            cv2.fillPoly(canvas, list(polys), glass, cv2.LINE_AA, SHIFT)

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

    def _draw_articulated(self, canvas: np.ndarray, view: _View, fig, t: float) -> None:
        """The figure in its look (figures.draw_figure), posed by `figure_pose`."""
        draw_figure(
            canvas,
            view,
            fig,
            self.figure_pose(fig, t),
            self._shade,
            _col(_scale(self.light.ground_near, 0.55)),
            lambda text, x, y, size: self._label(canvas, text, x, y, size),
        )

    def figure_pose(self, fig: Figure, t: float) -> Pose:
        """`fig`'s pose at t from the shot's action (actions.pose_at), root x/z in the world:
        the action's root motion is centred on the figure's mid-shot place, as laid out.
        Cached for the current frame's time (depth sorting and drawing ask twice)."""
        cache = self.__dict__.setdefault("_pose_cache", {})
        if cache.get("t") != (t, self.loop_home):
            cache.clear()
            cache["t"] = (t, self.loop_home)
        key = id(fig)
        if key in cache:
            return cache[key]
        k = self._fig_index.get(key, 0)
        if fig.foreground:  # the shoulder the camera looks over: idle, facing away
            pose = dataclasses.replace(
                pose_at("stand", t, seed=k), x=fig.x, z=fig.z, heading=math.pi
            )
        else:
            if self.variation is None:
                pose = self._action_pose(fig, k, t)
            else:
                t_join, sign, old, new = self.variation
                pose = self._action_pose(fig, k + old, t)
                w = min(1.0, max(0.0, sign * (t - t_join) / VARIATION_EASE_S))
                w = w * w * (3 - 2 * w)
                if w > 0 and new != old:
                    pose = _blend(pose, self._action_pose(fig, k + new, t), w)
            if self.loop_home is not None:
                period, w = self.loop_home
                pose = _blend(pose, self._action_pose(fig, k, t - period), w)
        cache[key] = pose
        return pose

    def _action_pose(self, fig: Figure, seed: int, t: float) -> Pose:
        spec = self.spec
        kw = {"speed": spec.action_speed, "direction": spec.direction, "seed": seed}
        pose = pose_at(spec.action, t, **kw)
        mids = self.__dict__.setdefault("_mid_roots", {})
        key = (id(fig), seed)
        if key not in mids:
            mid = pose_at(spec.action, self.duration / 2, **kw)
            vx, vz = fig.velocity
            mids[key] = (
                fig.x + vx * self.duration / 2 - mid.x,
                fig.z + vz * self.duration / 2 - mid.z,
            )
        x0, z0 = mids[key]
        return dataclasses.replace(pose, x=x0 + pose.x, z=max(z0 + pose.z, fig.z_min))

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


VARIATION_EASE_S = 0.5
# Close shots and how soft the background gets (a share of the frame width), and how far behind
# the subject the soft part starts (times the subject's distance).
SHALLOW_FOCUS = {"medium_close_up": 0.006, "close_up": 0.009, "extreme_close_up": 0.013}
DOF_BEHIND = 1.6


def _defocus(canvas: np.ndarray, shot_size: str) -> None:
    """Blur the picture drawn so far in place: cheaply, at a quarter of the size."""
    h, w = canvas.shape[:2]
    small = cv2.resize(canvas, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(1, round(SHALLOW_FOCUS[shot_size] * w / 4)) * 2 + 1
    small = cv2.GaussianBlur(small, (k, k), 0)
    canvas[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _blend(a: Pose, b: Pose, w: float) -> Pose:
    """Every joint and the root, `w` of the way from pose `a` to pose `b`."""
    return Pose(
        **{
            f.name: (1 - w) * getattr(a, f.name) + w * getattr(b, f.name)
            for f in dataclasses.fields(Pose)
        }
    )


def _mix(a, b, t: float) -> tuple[float, float, float]:
    return tuple(float(x) * (1 - t) + float(y) * t for x, y in zip(a, b, strict=True))


def _scale(a, k: float) -> tuple[float, float, float]:
    return tuple(float(x) * k for x in a)


def _tint(colour, light: Light, *, tint: bool = True) -> tuple[float, float, float]:
    if not tint:
        return tuple(float(c) for c in colour)
    return tuple(float(c) * k for c, k in zip(colour, light.tint, strict=True))
