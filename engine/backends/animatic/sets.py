"""The sets: each kind of location as a few grey-box pieces that read at a glance.

A set is built from its kind, the camera distance and a random generator seeded from the
location (so one location looks the same in every shot of a sequence). Exterior sets paint the
ground through the light's ground colours (see :data:`GROUNDS`) and add flats (coloured polygons
lying on the ground: a pier deck, a road, the sea), lines (planks, kerbs, road markings) and
boxes (buildings with windows, trees, poles); interior sets are a room whose walls, floor and
details (doors, windows, seats) depend on the kind. Colours stay low in saturation so that the
figures are what the eye (and OpenCV) finds first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Flat", "SetPieces", "GROUNDS", "ROOMS", "build_set"]

RGBf = tuple[float, float, float]

# Exterior ground colours by set kind: (far, near) at day; the sky stays the light's.
GROUNDS: dict[str, tuple[RGBf, RGBf]] = {
    "harbour": ((70, 84, 96), (44, 56, 66)),  # the water around the pier
    "street": ((176, 172, 164), (164, 160, 152)),  # the pavement
    "forest": ((74, 80, 58), (48, 54, 38)),
    "field": ((140, 164, 88), (92, 126, 54)),
    "desert": ((222, 186, 136), (196, 154, 104)),
    "beach": ((96, 128, 146), (226, 216, 190)),  # the sea far, the sand near
    "rooftop": ((118, 124, 134), (96, 100, 108)),  # the city below, far off
}
# Interior colours by set kind: wall, floor, ceiling, window (day).
ROOMS: dict[str, tuple[RGBf, RGBf, RGBf, RGBf]] = {
    "room": ((196, 188, 174), (128, 96, 70), (214, 208, 198), (226, 232, 240)),
    "office": ((178, 186, 190), (92, 104, 112), (220, 222, 222), (214, 226, 236)),
    "car": ((54, 52, 54), (36, 36, 38), (70, 68, 70), (196, 210, 222)),
    "train": ((206, 204, 190), (96, 100, 110), (226, 224, 216), (200, 218, 232)),
    "stage": ((44, 30, 32), (30, 28, 28), (14, 14, 16), (44, 30, 32)),
}


@dataclass(frozen=True)
class Flat:
    """A coloured polygon (world points) drawn on the ground before the objects, in list order."""

    points: tuple[tuple[float, float, float], ...]
    colour: RGBf


@dataclass
class SetPieces:
    boxes: list = field(default_factory=list)  # scene.Box
    trees: list = field(default_factory=list)  # scene.Tree
    lamps: list = field(default_factory=list)  # lamp heads (x, y, z)
    flats: list[Flat] = field(default_factory=list)
    lines: list[tuple[tuple[float, float, float], tuple[float, float, float], RGBf]] = field(
        default_factory=list
    )
    room: tuple[float, float, float, float, float] | None = None
    details: list[Flat] = field(default_factory=list)  # interior: doors, windows, panels
    grid: bool = False


def _quad(x0: float, x1: float, z0: float, z1: float, y: float = 0.0) -> tuple:
    return ((x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1))


def _wall_quad(x: float, z0: float, z1: float, y0: float, y1: float) -> tuple:
    return ((x, y0, z0), (x, y0, z1), (x, y1, z1), (x, y1, z0))


def _back_quad(z: float, x0: float, x1: float, y0: float, y1: float) -> tuple:
    return ((x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z))


def build_set(kind: str, rng: np.random.Generator, distance: float) -> SetPieces:
    """The pieces of a set of `kind` (see dressing.SET_KINDS) around a subject at the origin."""
    from engine.backends.animatic.scene import Box, Tree

    s = SetPieces()
    near = -distance - 6.0

    def pole(x: float, z: float, h: float = 4.2) -> None:
        s.boxes.append(
            Box((x - 0.07, 0.0, z - 0.07), (x + 0.07, h, z + 0.07), (70, 70, 72), "pole")
        )
        s.lamps.append((x, h + 0.1, z))

    def building(x0: float, x1: float, z0: float, z1: float, h: float, grey: float) -> None:
        cols = max(1, int((x1 - x0) / 2.2))
        rows = max(1, int((h - 1.0) / 3.0))
        wins = []
        for r in range(rows):
            for c in range(cols):
                cx = x0 + (c + 0.5) * (x1 - x0) / cols
                cy = 1.6 + r * 3.0
                if cy + 0.8 < h:
                    wins.append((cx - 0.55, cy, cx + 0.55, cy + 1.3))
        s.boxes.append(
            Box((x0, 0.0, z0), (x1, h, z1), (grey, grey * 0.97, grey * 0.93), windows=tuple(wins))
        )

    if kind in ROOMS:  # interiors (and the stage)
        if kind == "office":  # a corridor: narrow and long, doors down both walls
            half = max(2.0, 0.3 * distance + 1.4)
            z0, z1, c = -distance - 3.0, max(14.0, 2.0 * distance), 2.8
        elif kind == "car":
            half = max(1.6, 0.45 * distance + 0.8)
            z0, z1, c = -distance - 1.5, max(3.0, 0.5 * distance), 1.9 + 0.05 * distance
        elif kind == "train":
            half = max(2.2, 0.4 * distance + 1.2)
            z0, z1, c = -distance - 3.0, max(16.0, 2.0 * distance), 2.5 + 0.05 * distance
        else:
            half = max(4.0, 0.9 * distance + 2.5)
            z0, z1 = -distance - max(2.5, 0.5 * distance), max(4.5, 0.6 * distance)
            c = 3.0 + 0.08 * distance
        s.room = (-half, half, z0, z1, c)
        s.grid = kind in ("room", "office")
        if kind == "room":
            for k in (-0.28, 0.28):  # two windows on the back wall
                cx = k * 2 * half
                s.details.append(
                    Flat(
                        _back_quad(z1 - 0.01, cx - 0.65, cx + 0.65, 1.0, min(2.4, c - 0.3)),
                        (-1, -1, -1),
                    )
                )
            dz = z0 + 0.6 * (z1 - z0)
            s.details.append(
                Flat(_wall_quad(-half + 0.01, dz - 0.5, dz + 0.5, 0, 2.1), (104, 78, 58))
            )
            s.details.append(
                Flat(_wall_quad(half - 0.01, dz - 0.6, dz + 0.6, 1.2, 2.0), (150, 140, 128))
            )
            s.flats.append(Flat(_quad(-1.6, 1.6, -0.8, 1.6, 0.004), (124, 70, 60)))  # a rug
            for _ in range(int(rng.integers(2, 4))):
                w, dpt, h = rng.uniform(0.8, 1.8), rng.uniform(0.4, 0.7), rng.uniform(0.8, 1.9)
                x = float(rng.choice([-1.0, 1.0])) * rng.uniform(2.0, half - 0.5)
                z = rng.uniform(1.5, z1 - 0.4)
                g = float(rng.uniform(90, 140))
                s.boxes.append(
                    Box(
                        (x - w / 2, 0, z - dpt / 2),
                        (x + w / 2, h, z + dpt / 2),
                        (g, g * 0.9, g * 0.8),
                        "furniture",
                    )
                )
        elif kind == "office":
            for z in np.arange(z0 + 3.0, z1 - 1.0, 4.0):
                for x in (-half + 0.01, half - 0.01):
                    s.details.append(Flat(_wall_quad(x, z - 0.5, z + 0.5, 0, 2.1), (120, 96, 70)))
                s.details.append(
                    Flat(
                        (
                            (-0.6, c - 0.01, z - 0.3),
                            (0.6, c - 0.01, z - 0.3),
                            (0.6, c - 0.01, z + 0.3),
                            (-0.6, c - 0.01, z + 0.3),
                        ),
                        (250, 250, 244),
                    )
                )
            s.details.append(Flat(_back_quad(z1 - 0.01, -0.5, 0.5, 0, 2.1), (110, 90, 70)))
        elif kind in ("car", "train"):
            wy0, wy1 = (0.9, c - 0.25) if kind == "car" else (1.0, c - 0.5)
            for x in (-half + 0.01, half - 0.01):
                s.details.append(Flat(_wall_quad(x, z0 + 0.5, z1 - 0.5, wy0, wy1), (-1, -1, -1)))
            if kind == "car":  # the windscreen and the dashboard across the front
                s.details.append(
                    Flat(
                        _back_quad(z1 - 0.01, -half + 0.2, half - 0.2, 1.0, c - 0.15), (-1, -1, -1)
                    )
                )
                s.boxes.append(
                    Box((-half, 0, z1 - 0.7), (half, 0.95, z1), (28, 28, 30), "furniture")
                )
                s.boxes.append(
                    Box(
                        (-0.55 * half - 0.3, 0.95, z1 - 0.8),
                        (-0.55 * half + 0.3, 1.05, z1 - 0.7),
                        (20, 20, 22),
                        "furniture",
                    )
                )
            else:  # rows of seats down both sides, an aisle between
                for z in np.arange(z0 + 2.0, z1 - 1.0, 1.8):
                    for x0, x1 in ((-half + 0.1, -0.6), (0.6, half - 0.1)):
                        s.boxes.append(
                            Box((x0, 0, z), (x1, 0.5, z + 0.6), (70, 84, 116), "furniture")
                        )
                        s.boxes.append(
                            Box((x0, 0.5, z + 0.5), (x1, 1.25, z + 0.7), (64, 78, 110), "furniture")
                        )
                s.details.append(Flat(_back_quad(z1 - 0.01, -0.5, 0.5, 0, 2.0), (150, 150, 146)))
        return s

    # exteriors
    if kind == "harbour":
        w = 2.6
        s.flats.append(Flat(_quad(-w, w, near, 46.0, 0.02), (120, 98, 74)))
        zs = np.arange(near, 46.0, 0.7)
        s.lines += [((-w, 0.021, z), (w, 0.021, z), (86, 70, 54)) for z in zs]
        for z in np.arange(-12.0, 46.0, 12.0):
            for x in (-w + 0.2, w - 0.2):
                pole(x, z, 3.8)
        for z in np.arange(-6.0, 46.0, 12.0):  # bollards
            for x in (-w + 0.25, w - 0.25):
                s.boxes.append(
                    Box(
                        (x - 0.15, 0, z - 0.15),
                        (x + 0.15, 0.5, z + 0.15),
                        (58, 56, 56),
                        "furniture",
                    )
                )
        x = -w
        while x > -160:  # the far shore: low warehouses across the water
            bw = rng.uniform(22, 40)
            building(x - bw, x, 150.0, 170.0, rng.uniform(6, 14), float(rng.uniform(90, 130)))
            x -= bw + rng.uniform(2, 10)
        x = w + 30
        while x < 160:
            bw = rng.uniform(22, 40)
            building(x, x + bw, 150.0, 170.0, rng.uniform(6, 14), float(rng.uniform(90, 130)))
            x += bw + rng.uniform(2, 10)
    elif kind == "street":
        z_kerb, z_far = 1.2, 9.5
        s.flats.append(Flat(_quad(-300, 300, z_kerb, z_far), (72, 74, 78)))
        s.lines.append(((-300, 0.01, z_kerb), (300, 0.01, z_kerb), (196, 194, 188)))
        s.lines.append(((-300, 0.01, z_far), (300, 0.01, z_far), (196, 194, 188)))
        mid = (z_kerb + z_far) / 2
        s.lines += [
            ((x, 0.01, mid), (x + 2.0, 0.01, mid), (214, 206, 170))
            for x in np.arange(-80.0, 80.0, 5.0)
        ]
        x = -90.0
        while x < 90.0:  # a row of facades across the road
            bw = float(rng.uniform(6, 12))
            building(
                x,
                x + bw,
                z_far + 2.0,
                z_far + 12.0,
                float(rng.uniform(8, 20)),
                float(rng.uniform(110, 170)),
            )
            x += bw + float(rng.uniform(0.0, 0.6))
        for x in np.arange(-36.0, 48.0, 12.0):
            pole(float(x), z_kerb - 0.4)
    elif kind == "rooftop":
        s.flats.append(Flat(_quad(-14, 14, near, 14.0, 0.01), (190, 146, 112)))
        for x0, x1, z0, z1 in (
            (-14, 14, 14.0, 14.4),
            (-14.4, -14, near, 14.4),
            (14, 14.4, near, 14.4),
        ):
            s.boxes.append(Box((x0, 0, z0), (x1, 1.0, z1), (120, 116, 112), "furniture"))
        s.boxes.append(Box((6, 0, 8), (8.5, 2.2, 10), (104, 100, 96), "furniture"))  # vent
        s.boxes.append(Box((-9, 0, 9), (-6.5, 3.0, 11.5), (96, 86, 76), "furniture"))  # tank
        for _ in range(22):  # the skyline around
            ang = rng.uniform(-1.3, 1.3)
            r = rng.uniform(45, 160)
            x, z = r * math.sin(ang), r * math.cos(ang)
            bw = rng.uniform(8, 18)
            building(
                x - bw / 2,
                x + bw / 2,
                z,
                z + bw,
                float(rng.uniform(10, 45)),
                float(rng.uniform(100, 160)),
            )
    elif kind in ("forest", "field", "desert"):
        n_trees = {"forest": 34, "field": 6, "desert": 0}[kind]
        for _ in range(n_trees):
            for _try in range(20):
                ang = rng.uniform(-math.pi, math.pi)
                r = rng.uniform(4.0 if kind == "forest" else 25.0, 70.0)
                x, z = r * math.sin(ang), r * math.cos(ang)
                if not (abs(x) < 4.0 + 0.3 * r and z < 3.0):  # keep the camera's line clear
                    break
            g = float(rng.uniform(60, 90)) if kind == "forest" else float(rng.uniform(80, 110))
            tall = kind == "forest"
            s.trees.append(
                Tree(
                    x,
                    z,
                    rng.uniform(3.5, 6.0) if tall else rng.uniform(1.5, 3.0),
                    rng.uniform(1.6, 2.8),
                    (g * 0.85, g * 1.08, g * 0.78),
                )
            )
        if kind == "field":  # a fence across the field
            for x in np.arange(-40.0, 41.0, 3.0):
                s.boxes.append(
                    Box((x - 0.06, 0, 9.94), (x + 0.06, 1.1, 10.06), (118, 100, 80), "furniture")
                )
            s.lines += [((-40, y, 10.0), (40, y, 10.0), (128, 110, 88)) for y in (0.55, 0.95)]
        if kind == "desert":  # rocks and a few cacti
            for _ in range(10):
                ang, r = rng.uniform(-1.4, 1.4), rng.uniform(8, 60)
                x, z = r * math.sin(ang), r * math.cos(ang)
                if abs(x) < 3 and z < 3:
                    continue
                a, h = rng.uniform(0.5, 2.5), rng.uniform(0.4, 2.0)
                if rng.uniform() < 0.4:
                    s.boxes.append(
                        Box(
                            (x - 0.18, 0, z - 0.18),
                            (x + 0.18, 2.4, z + 0.18),
                            (92, 116, 80),
                            "furniture",
                        )
                    )
                else:
                    s.boxes.append(
                        Box(
                            (x - a, 0, z - a * 0.7),
                            (x + a, h, z + a * 0.7),
                            (176, 136, 100),
                            "furniture",
                        )
                    )
    elif kind == "beach":
        z_sea = 3.0
        s.flats.append(Flat(_quad(-400, 400, near - 40, z_sea), (226, 216, 190)))
        s.flats.append(
            Flat(_quad(-400, 400, z_sea - 1.2, z_sea, 0.005), (186, 176, 150))
        )  # wet sand
        s.lines.append(((-400, 0.01, z_sea), (400, 0.01, z_sea), (236, 240, 240)))
        s.lines += [((-400, 0.01, z), (400, 0.01, z), (140, 166, 178)) for z in (6.0, 11.0, 19.0)]
    return s
