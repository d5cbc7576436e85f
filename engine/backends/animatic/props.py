"""Props and vehicles as grey-box assemblies: a few boxes each, plus the lights they carry.

Each prop kind (see dressing.PROP_KINDS) is built at an anchor on the ground; vehicles carry
head/tail or deck lights, drawn as glows at night and dusk.
"""

from __future__ import annotations

__all__ = ["DEFAULT_COLOURS", "build_prop"]

RGBf = tuple[float, float, float]

# A prop without a colour word gets its kind's colour (vehicles read by their paint).
DEFAULT_COLOURS: dict[str, RGBf] = {
    "car": (60, 92, 150),
    "van": (200, 196, 184),
    "boat": (176, 64, 46),
    "ferry": (226, 224, 216),
    "door": (112, 74, 46),
    "table": (132, 96, 64),
    "chair": (120, 84, 56),
    "phone": (24, 24, 28),
    "lamp_post": (70, 70, 72),
    "bench": (116, 86, 60),
    "crate": (150, 118, 76),
    "suitcase": (120, 60, 40),
}
_GLASS: RGBf = (44, 54, 66)
_TYRE: RGBf = (24, 24, 26)


def build_prop(kind: str, x: float, z: float, colour: RGBf | None, *, on_water: bool = False):
    """Boxes and glows ((x, y, z, radius m, RGB)) for a prop of `kind` standing at (x, z)."""
    from engine.backends.animatic.scene import Box

    c = colour or DEFAULT_COLOURS[kind]
    dark = (c[0] * 0.6, c[1] * 0.6, c[2] * 0.6)
    boxes: list[Box] = []
    glows: list[tuple[float, float, float, float, tuple[int, int, int]]] = []

    def box(x0, y0, z0, x1, y1, z1, col=c, k="prop3d") -> None:
        boxes.append(Box((x + x0, y0, z + z0), (x + x1, y1, z + z1), col, k))

    if kind in ("car", "van"):
        ln, wd, body, roof = (4.3, 1.8, 1.0, 1.5) if kind == "car" else (5.2, 2.0, 2.3, 2.4)
        box(-ln / 2, 0.3, -wd / 2, ln / 2, body, wd / 2)
        if kind == "car":
            box(-1.1, body, -wd / 2 + 0.1, 1.0, roof, wd / 2 - 0.1, _GLASS)
        else:
            box(ln / 2 - 0.9, 1.1, -wd / 2 + 0.05, ln / 2 - 0.05, 2.0, wd / 2 - 0.05, _GLASS)
        for wx in (-ln / 2 + 0.8, ln / 2 - 0.8):
            box(wx - 0.35, 0.0, -wd / 2 - 0.02, wx + 0.35, 0.65, wd / 2 + 0.02, _TYRE)
        for side in (-0.6, 0.6):
            glows.append((x + ln / 2, 0.75, z + side * wd / 2, 0.16, (255, 244, 210)))
            glows.append((x - ln / 2, 0.75, z + side * wd / 2, 0.12, (230, 40, 30)))
    elif kind in ("boat", "ferry"):
        ln, wd, h = (6.0, 2.4, 1.0) if kind == "boat" else (26.0, 8.0, 4.0)
        y0 = -0.4 if on_water else 0.0
        box(-ln / 2, y0, -wd / 2, ln / 2, y0 + h, wd / 2)
        box(-ln / 2, y0, -wd / 2, ln / 2, y0 + 0.25 * h, wd / 2, dark)  # the waterline
        if kind == "boat":
            box(-0.8, y0 + h, -0.8, 0.8, y0 + h + 1.2, 0.8, (210, 206, 196))
            glows.append((x, y0 + h + 1.4, z, 0.15, (255, 236, 180)))
        else:
            box(-ln / 3, y0 + h, -wd / 2 + 0.6, ln / 3, y0 + h + 3.0, wd / 2 - 0.6, (214, 212, 204))
            box(-2.0, y0 + h + 3.0, -1.0, 2.0, y0 + h + 6.5, 1.0, (60, 60, 64))  # funnel
            for k in range(-5, 6):  # a row of cabin lights
                glows.append(
                    (x + k * ln / 14, y0 + h + 1.6, z - wd / 2 + 0.55, 0.22, (255, 222, 150))
                )
            glows.append((x - ln / 2, y0 + h + 0.5, z, 0.3, (230, 40, 30)))
            glows.append((x + ln / 2, y0 + h + 0.5, z, 0.3, (40, 210, 90)))
    elif kind == "door":
        box(-0.65, 0.0, -0.08, 0.65, 2.3, 0.08, (150, 146, 138))  # the frame
        box(-0.5, 0.0, -0.12, 0.5, 2.1, 0.0)
        box(0.3, 1.0, -0.16, 0.38, 1.08, -0.1, (200, 180, 90))  # the handle
    elif kind == "table":
        box(-0.8, 0.7, -0.5, 0.8, 0.76, 0.5)
        for lx, lz in ((-0.72, -0.42), (0.66, -0.42), (-0.72, 0.36), (0.66, 0.36)):
            box(lx, 0.0, lz, lx + 0.06, 0.7, lz + 0.06, dark)
    elif kind == "chair":
        for dx in (-1.1, 1.1):
            box(dx - 0.23, 0.43, -0.23, dx + 0.23, 0.48, 0.23)
            box(dx - 0.23, 0.48, 0.17, dx + 0.23, 0.95, 0.23)
            box(dx - 0.2, 0.0, -0.2, dx + 0.2, 0.43, 0.2, dark)
    elif kind == "phone":
        box(-0.04, 1.05, -0.01, 0.04, 1.21, 0.01, c)
        glows.append((x, 1.13, z - 0.02, 0.03, (180, 220, 255)))
    elif kind == "lamp_post":
        box(-0.08, 0.0, -0.08, 0.08, 4.2, 0.08, c, "pole")
    elif kind == "bench":
        box(-0.9, 0.42, -0.22, 0.9, 0.48, 0.22)
        box(-0.9, 0.48, 0.18, 0.9, 0.9, 0.24)
        for lx in (-0.8, 0.74):
            box(lx, 0.0, -0.2, lx + 0.06, 0.42, 0.2, (50, 50, 52))
    elif kind == "crate":
        box(-0.5, 0.0, -0.5, 0.5, 0.9, 0.5)
        box(0.55, 0.0, -0.3, 1.25, 0.7, 0.4, dark)
        box(-0.3, 0.9, -0.3, 0.35, 1.45, 0.35, c)
    elif kind == "suitcase":
        box(-0.3, 0.0, -0.11, 0.3, 0.48, 0.11)
        box(-0.08, 0.48, -0.02, 0.08, 0.56, 0.02, (30, 30, 30))
    return boxes, glows
