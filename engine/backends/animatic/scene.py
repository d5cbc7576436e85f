"""What is in an animatic shot: light palettes, the set (ground, buildings, room) and figures.

The set is grey-box on purpose (low saturation) so that the figures, each a distinct saturated
colour, stand out to the eye and to OpenCV. The set's kind comes from the prompt (sets.py); its
layout is deterministic from the location (so a location looks the same in every shot), or from
the take's seed for the generic plaza. Figures wear their looks (dressing.py).
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass

import numpy as np

from engine.backends.animatic.dressing import INTERIOR_SETS, Look
from engine.backends.animatic.grammar import ShotSpec
from engine.backends.animatic.props import build_prop
from engine.backends.animatic.sets import GROUNDS, ROOMS, Flat, build_set

__all__ = ["Box", "Figure", "Light", "Scene", "build_scene", "light_for", "FIGURE_COLOURS"]

# Distinct, saturated figure colours (RGB); figure i always gets colour i.
FIGURE_COLOURS: tuple[tuple[int, int, int], ...] = (
    (222, 58, 48),
    (48, 102, 232),
    (56, 186, 70),
    (236, 196, 36),
    (204, 60, 204),
    (36, 196, 206),
    (242, 128, 28),
    (128, 70, 222),
    (150, 210, 40),
    (230, 70, 130),
    (40, 150, 170),
    (180, 110, 40),
)
PROP_COLOUR = (228, 64, 150)


@dataclass(frozen=True)
class Light:
    sky_top: tuple[float, float, float]
    sky_horizon: tuple[float, float, float]
    ground_far: tuple[float, float, float]
    ground_near: tuple[float, float, float]
    tint: tuple[float, float, float]  # multiplies object colours
    fog_colour: tuple[float, float, float]
    fog_distance: float | None  # metres; None: no fog
    haze: float  # 0..1 global haze blended over the frame
    stars: bool = False
    lamps: bool = False
    wall: tuple[float, float, float] = (196, 188, 174)
    floor: tuple[float, float, float] = (128, 112, 96)
    ceiling: tuple[float, float, float] = (214, 208, 198)
    window: tuple[float, float, float] = (226, 232, 240)


_BASE = {
    "day": dict(
        sky_top=(138, 162, 196),
        sky_horizon=(204, 211, 219),
        ground_far=(168, 168, 158),
        ground_near=(104, 108, 96),
        tint=(1.0, 1.0, 1.0),
        wall=(196, 188, 174),
        floor=(128, 112, 96),
        ceiling=(214, 208, 198),
        window=(226, 232, 240),
    ),
    "night": dict(
        sky_top=(6, 8, 18),
        sky_horizon=(26, 32, 52),
        ground_far=(32, 34, 40),
        ground_near=(14, 15, 18),
        tint=(0.42, 0.45, 0.6),
        stars=True,
        lamps=True,
        wall=(74, 64, 52),
        floor=(44, 37, 31),
        ceiling=(52, 46, 40),
        window=(14, 20, 42),
    ),
    "dusk": dict(
        sky_top=(78, 72, 118),
        sky_horizon=(246, 158, 92),
        ground_far=(152, 112, 86),
        ground_near=(78, 60, 50),
        tint=(1.05, 0.8, 0.6),
        lamps=True,
        wall=(200, 160, 120),
        floor=(120, 90, 66),
        ceiling=(180, 150, 120),
        window=(250, 170, 110),
    ),
    "dawn": dict(
        sky_top=(118, 138, 184),
        sky_horizon=(242, 192, 172),
        ground_far=(146, 134, 128),
        ground_near=(86, 80, 80),
        tint=(1.0, 0.9, 0.88),
        wall=(196, 178, 170),
        floor=(120, 104, 96),
        ceiling=(206, 194, 190),
        window=(246, 206, 190),
    ),
}


def light_for(spec: ShotSpec) -> Light:
    base = dict(_BASE[spec.time_of_day])
    day = _BASE["day"]
    if spec.setting in GROUNDS:
        far, near = GROUNDS[spec.setting]
        k = tuple(
            b / max(d, 1.0) for b, d in zip(base["ground_far"], day["ground_far"], strict=True)
        )
        base["ground_far"] = tuple(c * kk for c, kk in zip(far, k, strict=True))
        base["ground_near"] = tuple(c * kk for c, kk in zip(near, k, strict=True))
    if spec.setting in ROOMS and (spec.interior or spec.setting == "stage"):
        k = tuple(b / max(d, 1.0) for b, d in zip(base["wall"], day["wall"], strict=True))
        wall, floor, ceiling, window = ROOMS[spec.setting]
        base["wall"] = tuple(c * kk for c, kk in zip(wall, k, strict=True))
        base["floor"] = tuple(c * kk for c, kk in zip(floor, k, strict=True))
        base["ceiling"] = tuple(c * kk for c, kk in zip(ceiling, k, strict=True))
        if spec.time_of_day == "day":
            base["window"] = window
    fog_distance = None
    haze = 0.0
    if "rain" in spec.weather:
        grey = (118, 122, 128) if spec.time_of_day != "night" else (18, 20, 26)
        base["sky_top"] = _mix(base["sky_top"], grey, 0.7)
        base["sky_horizon"] = _mix(base["sky_horizon"], _scale(grey, 1.25), 0.7)
        base["ground_far"] = _scale(base["ground_far"], 0.8)
        base["ground_near"] = _scale(base["ground_near"], 0.7)
        base["tint"] = _scale(base["tint"], 0.85)
    if "snow" in spec.weather:
        white = (232, 236, 242)
        k = 1.0 if spec.time_of_day != "night" else 0.25
        base["ground_far"] = _scale(_mix(base["ground_far"], white, 0.85), k)
        base["ground_near"] = _scale(_mix(base["ground_near"], (206, 212, 222), 0.85), k)
        base["sky_top"] = _mix(base["sky_top"], _scale((176, 182, 192), k), 0.6)
        base["sky_horizon"] = _mix(base["sky_horizon"], _scale((214, 218, 224), k), 0.6)
    fog_colour = base["sky_horizon"]
    if "fog" in spec.weather:
        fog_colour = _mix(base["sky_horizon"], (190, 192, 196), 0.5)
        if spec.time_of_day == "night":
            fog_colour = (40, 44, 54)
        fog_distance = 14.0
        haze = 0.3
        base["sky_top"] = _mix(base["sky_top"], fog_colour, 0.8)
        base["sky_horizon"] = fog_colour
        base["ground_far"] = _mix(base["ground_far"], fog_colour, 0.9)
        base["ground_near"] = _mix(base["ground_near"], fog_colour, 0.35)
    return Light(fog_colour=fog_colour, fog_distance=fog_distance, haze=haze, **base)


def _mix(a, b, t: float) -> tuple[float, float, float]:
    return tuple(float(x) * (1 - t) + float(y) * t for x, y in zip(a, b, strict=True))


def _scale(a, k: float) -> tuple[float, float, float]:
    return tuple(float(x) * k for x in a)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box (building, wall, furniture, table, pole) with a base colour."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    colour: tuple[float, float, float]
    kind: str = "building"
    faces: tuple[int, ...] = (0, 1, 2, 3, 4, 5)  # which faces exist (see render._BOX_FACES)
    windows: tuple[tuple[float, float, float, float], ...] = ()  # (x0, y0, x1, y1) on the front


@dataclass(frozen=True)
class Figure:
    """A person: base position at t=0, colour, height scale, motion, optional label."""

    x: float
    z: float
    colour: tuple[int, int, int]
    height: float = 1.0
    velocity: tuple[float, float] = (0.0, 0.0)  # metres/second in x, z
    gait: str = "stand"  # stand | walk | run | sit
    label: str | None = None
    facing_camera: bool = True
    foreground: bool = False  # an over-the-shoulder figure near the lens (drawn darker)
    z_min: float = -1e9  # do not walk closer than this z (toward the camera)
    look: Look | None = None  # coat, legs, skin, hair/hat, child (None: all `colour`)


@dataclass(frozen=True)
class Tree:
    x: float
    z: float
    trunk_h: float
    canopy_r: float
    colour: tuple[float, float, float]


@dataclass(frozen=True)
class Scene:
    boxes: tuple[Box, ...]
    trees: tuple[Tree, ...]
    figures: tuple[Figure, ...]
    lamps: tuple[tuple[float, float, float], ...]  # lamp heads (x, y, z)
    interior: bool
    room: tuple[float, float, float, float, float] | None  # x0, x1, z0, z1, ceiling
    ridge: np.ndarray  # (n, 2): azimuth (rad), elevation (rad) of the far hills
    clouds: np.ndarray  # (n, 4): azimuth, elevation, angular half-width, half-height
    stars: np.ndarray  # (n, 2)
    grid_step: float
    grid_extent: float
    prop: Box | None = None
    prop_label: str | None = None
    setting: str = "plaza"
    flats: tuple[Flat, ...] = ()  # ground polygons, drawn in order before the objects
    lines: tuple = ()  # ((a, b, colour), ...) world segments on the set (planks, kerbs)
    details: tuple[Flat, ...] = ()  # interior wall details; colour (-1, -1, -1): a window
    glows: tuple = ()  # ((x, y, z, radius m, RGB), ...) lights on props, drawn at dusk/night
    grid: bool = True


def _figure_positions(n: int, rng: np.random.Generator, distance: float) -> list[tuple]:
    if n <= 0:
        return []
    if n <= 4:
        spacing = 0.9
        return [((i - (n - 1) / 2) * spacing + rng.uniform(-0.04, 0.04), 0.0) for i in range(n)]
    # a group or crowd: a loose cluster, wider than the frame's centre
    radius = 0.55 * math.sqrt(n) + 0.1 * distance
    pts: list[tuple[float, float]] = [(0.0, 0.0)]
    tries = 0
    while len(pts) < n and tries < 5000:
        tries += 1
        x = rng.uniform(-radius * 1.6, radius * 1.6)
        z = rng.uniform(-0.3 * radius, 1.6 * radius)
        if all((x - px) ** 2 + (z - pz) ** 2 > 0.7**2 for px, pz in pts):
            pts.append((x, z))
    while len(pts) < n:
        pts.append((rng.uniform(-radius, radius), rng.uniform(0, 2 * radius)))
    return pts


def _distinct(a, b) -> bool:
    """At a glance: >= 30 degrees of hue apart (both coloured) or >= 25 % of luminance."""
    import colorsys

    ha, sa, _ = colorsys.rgb_to_hsv(*(c / 255 for c in a))
    hb, sb, _ = colorsys.rgb_to_hsv(*(c / 255 for c in b))
    ya = 0.299 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    yb = 0.299 * b[0] + 0.587 * b[1] + 0.114 * b[2]
    if abs(ya - yb) >= 0.25 * 255:
        return True
    if sa < 0.3 or sb < 0.3:
        return False
    dh = abs(ha - hb) * 360
    return min(dh, 360 - dh) >= 30


def _shift_hue(rgb, degrees: float) -> tuple[int, int, int]:
    import colorsys

    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
    if s < 0.3:  # grey/black/white: move the luminance instead
        v = 0.85 if v < 0.5 else 0.2
        s = 0.0
    r, g, b = colorsys.hsv_to_rgb((h + degrees / 360) % 1.0, s, v)
    return (int(r * 255), int(g * 255), int(b * 255))


def cast_looks(spec: ShotSpec, n: int) -> list[Look]:
    """The looks of the shot's first `n` figures, told apart from each other at a glance.

    A described look (a wardrobe word) keeps its colour; an undescribed one, or the later of two
    described looks that clash, turns its hue until it is distinct from the ones before it.
    """
    looks: list[Look] = []
    for i in range(n):
        lk = spec.cast[i] if i < len(spec.cast) else None
        if lk is None or (not lk.described and not lk.name):
            base = FIGURE_COLOURS[i % len(FIGURE_COLOURS)]
            legs = tuple(int(c * 0.72) for c in base)
            lk = dataclasses.replace(lk or Look(), coat=base, legs=legs)
        looks.append(lk)
    for i in range(1, min(n, 6)):
        # the ones to keep: described first, in order; the others yield
        lk = looks[i]
        others = [looks[j].coat for j in range(i)]
        if all(_distinct(lk.coat, o) for o in others):
            continue
        coat = lk.coat
        for step in range(1, 12):
            coat = _shift_hue(lk.coat, 40.0 * step)
            if all(_distinct(coat, o) for o in others):
                break
        looks[i] = dataclasses.replace(lk, coat=coat, legs=tuple(int(c * 0.72) for c in coat))
    return looks


def _location_seed(spec: ShotSpec, seed: int) -> int:
    if spec.setting == "plaza" and not spec.location:
        return seed & 0xFFFFFFFF
    return zlib.crc32(f"{spec.setting}|{spec.location}".encode())


def build_scene(spec: ShotSpec, seed: int, distance: float, duration: float) -> Scene:
    """Lay out the set (seeded from the location) and the figures (from `seed`) for `spec`."""
    set_seed = _location_seed(spec, seed)
    rng = np.random.default_rng([set_seed, 1])
    fig_rng = np.random.default_rng([seed & 0xFFFFFFFF, 2])
    sky_rng = np.random.default_rng([set_seed, 3])

    boxes: list[Box] = []
    trees: list[Tree] = []
    lamps: list[tuple[float, float, float]] = []
    room = None
    pieces = None
    if spec.setting != "plaza" and (spec.setting not in INTERIOR_SETS or spec.interior):
        pieces = build_set(spec.setting, rng, distance)
        boxes, trees, lamps, room = pieces.boxes, pieces.trees, pieces.lamps, pieces.room
    elif spec.interior:
        half = max(4.0, 0.9 * distance + 2.5)
        z0 = -distance - max(2.5, 0.5 * distance)
        z1 = max(4.5, 0.6 * distance)
        ceiling = 3.0 + 0.08 * distance
        room = (-half, half, z0, z1, ceiling)
        # furniture and wall features, all grey-box
        for _ in range(int(rng.integers(3, 6))):
            w, dpt, h = rng.uniform(0.6, 1.8), rng.uniform(0.4, 0.9), rng.uniform(0.45, 1.9)
            side = rng.choice([-1.0, 1.0])
            x = side * rng.uniform(1.6, half - 0.5)
            z = rng.uniform(0.5, z1 - 0.5)
            grey = float(rng.uniform(80, 150))
            boxes.append(
                Box(
                    (x - w / 2, 0.0, z - dpt / 2),
                    (x + w / 2, h, z + dpt / 2),
                    (grey, grey * 0.96, grey * 0.9),
                    kind="furniture",
                )
            )
    else:
        inner = max(18.0, 1.2 * distance + 8.0)
        outer = max(70.0, 3.0 * distance)
        for _ in range(int(rng.integers(12, 18))):
            ang = rng.uniform(0, 2 * math.pi)
            r = rng.uniform(inner, outer)
            x, z = r * math.sin(ang), r * math.cos(ang)
            w, dpt = rng.uniform(5, 14), rng.uniform(5, 12)
            h = rng.uniform(4, 22)
            grey = float(rng.uniform(105, 175))
            boxes.append(
                Box(
                    (x - w / 2, 0.0, z - dpt / 2),
                    (x + w / 2, h, z + dpt / 2),
                    (grey, grey, grey * 1.02),
                )
            )
        for _ in range(int(rng.integers(8, 14))):
            ang = rng.uniform(0, 2 * math.pi)
            r = rng.uniform(inner * 0.7, outer * 0.8)
            g = float(rng.uniform(80, 120))
            trees.append(
                Tree(
                    r * math.sin(ang),
                    r * math.cos(ang),
                    rng.uniform(1.5, 3.0),
                    rng.uniform(1.5, 3.2),
                    (g * 0.9, g * 1.05, g * 0.88),
                )
            )
        street_x = max(5.0, 0.45 * distance + 3.0)
        for z in np.arange(-36.0, 60.0, 12.0):
            for x in (-street_x, street_x):
                boxes.append(
                    Box(
                        (x - 0.07, 0.0, z - 0.07),
                        (x + 0.07, 4.2, z + 0.07),
                        (70.0, 70.0, 72.0),
                        kind="pole",
                    )
                )
                lamps.append((x, 4.3, float(z)))

    n_ridge = 120
    az = np.linspace(-math.pi, math.pi, n_ridge, endpoint=False)
    ridge_el = np.zeros(n_ridge)
    for k in range(1, 6):
        ridge_el += sky_rng.uniform(0.2, 1.0) / k * np.sin(k * az + sky_rng.uniform(0, 6.3))
    ridge_el = np.radians(1.2 + 1.3 * (ridge_el - ridge_el.min()) / max(np.ptp(ridge_el), 1e-6))
    ridge = np.stack([az, ridge_el], axis=1)
    n_clouds = int(sky_rng.integers(9, 15))
    clouds = np.stack(
        [
            sky_rng.uniform(-math.pi, math.pi, n_clouds),
            np.radians(sky_rng.uniform(6, 28, n_clouds)),
            np.radians(sky_rng.uniform(3, 9, n_clouds)),
            np.radians(sky_rng.uniform(0.8, 2.2, n_clouds)),
        ],
        axis=1,
    )
    stars = np.stack(
        [sky_rng.uniform(-math.pi, math.pi, 220), np.radians(sky_rng.uniform(3, 80, 220))],
        axis=1,
    )

    # figures
    n = spec.figures
    speed = {"walk": 1.4, "run": 3.6}.get(spec.action, 0.0) * spec.action_speed
    direction = {
        "left": (-1.0, 0.0),
        "right": (1.0, 0.0),
        "toward": (0.0, -1.0),
        "away": (0.0, 1.0),
    }.get(spec.direction or "", (0.0, 0.0))
    velocity = (direction[0] * speed, direction[1] * speed)
    figures: list[Figure] = []
    labels = list(spec.labels)
    positions = _figure_positions(n, fig_rng, distance)
    mid = duration / 2
    gait = spec.action if spec.action in ("walk", "run", "sit") else "stand"
    looks = cast_looks(spec, len(positions))
    for i, (x, z) in enumerate(positions):
        label = labels[i] if i < len(labels) else None
        fx, fz = x - velocity[0] * mid, z - velocity[1] * mid
        foreground = False
        if spec.framing == "ots" and i == 0:
            # the shoulder the camera looks over: near the lens, left, facing away
            fx, fz = -0.2 * distance / 1.25, -distance + 0.5 * min(distance, 1.4)
            foreground = True
        look = looks[i]
        figures.append(
            Figure(
                x=fx,
                z=fz,
                colour=look.coat,
                height=float(fig_rng.uniform(0.95, 1.04)) * (0.62 if look.child else 1.0),
                velocity=(0.0, 0.0) if foreground else velocity,
                gait="stand" if foreground else gait,
                label=label,
                facing_camera=not foreground and spec.direction != "away",
                foreground=foreground,
                z_min=-0.65 * distance,
                look=look,
            )
        )
    # props named in the prompt, placed around the figures (behind and to the sides)
    glows: list = []
    span = max((abs(p[0]) for p in positions), default=0.0) + 0.6
    slots = [(span + 2.4, 2.0), (-span - 2.6, 2.6), (span + 4.0, 6.0), (-span - 4.5, 7.0)]
    k = 0
    for kind, colour in spec.props:
        on_water = spec.setting in ("harbour", "beach") and kind in ("boat", "ferry")
        if kind == "phone" and figures:
            f0 = figures[-1] if figures[0].foreground else figures[0]
            px, pz = f0.x + 0.3 * f0.height, f0.z - 0.15
        elif kind in ("boat", "ferry") and spec.setting == "harbour":
            px, pz = (7.0, 6.0) if kind == "boat" else (-20.0, 24.0)
        elif kind == "ferry":
            px, pz = -18.0, 30.0
        elif kind == "lamp_post":
            px, pz = -span - 1.2, 1.0
        else:
            px, pz = slots[k % len(slots)]
            k += 1
        if kind in ("car", "van") and spec.setting == "street":
            pz = 5.0
        bxs, gls = build_prop(kind, px, pz, colour, on_water=on_water)
        boxes.extend(bxs)
        glows.extend(gls)
        if kind == "lamp_post":
            lamps.append((px, 4.3, pz))
    prop = None
    prop_label = None
    if spec.framing == "insert":
        boxes.append(Box((-0.7, 0.0, -0.45), (0.7, 0.74, 0.45), (128.0, 112.0, 96.0), kind="table"))
        prop = Box((-0.11, 0.74, -0.08), (0.11, 0.80, 0.08), PROP_COLOUR, kind="prop")
        prop_label = labels[n] if len(labels) > n else None

    return Scene(
        boxes=tuple(boxes),
        trees=tuple(trees),
        figures=tuple(figures),
        lamps=tuple(lamps),
        interior=room is not None,
        room=room,
        ridge=ridge,
        clouds=clouds,
        stars=stars,
        grid_step=1.0 if room is not None else 2.0,
        grid_extent=60.0 if room is None else 0.0,
        prop=prop,
        prop_label=prop_label,
        setting=spec.setting,
        flats=tuple(pieces.flats) if pieces else (),
        lines=tuple(pieces.lines) if pieces else (),
        details=tuple(pieces.details) if pieces else (),
        glows=tuple(glows),
        grid=pieces.grid if pieces else True,
    )
