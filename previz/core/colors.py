"""Colours a user types: ``#FF8000``, ``FF8000`` or ``255,128,0``."""

from __future__ import annotations

from previz.core.errors import InvalidInput

WHITE = (255, 255, 255)


def parse_color(text: str) -> tuple[int, int, int]:
    """``#FF8000``, ``FF8000`` or ``255,128,0`` → an RGB triple (one-line error otherwise)."""
    t = text.strip().lstrip("#")
    try:
        if "," in t:
            rgb = tuple(int(v) for v in t.split(","))
        elif len(t) == 6:
            rgb = tuple(int(t[i : i + 2], 16) for i in (0, 2, 4))
        else:
            raise ValueError(t)
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise InvalidInput(f"colour {text!r} is not #RRGGBB or R,G,B (0-255); e.g. #FFFFFF")
    return rgb  # type: ignore[return-value]


def normalize_color(text: str) -> str:
    """The stored form of a colour: ``#RRGGBB`` in capitals."""
    r, g, b = parse_color(text)
    return f"#{r:02X}{g:02X}{b:02X}"


def split_transition(spec: str) -> tuple[str, str, str]:
    """``dip_color:12f:#FF8000`` → ``("dip_color", "12f", "#FF8000")``; the length and the
    colour may be missing (``cut``, ``dissolve:12f``, ``dip_color::#000000``). The length may
    itself be a timecode with colons (``dissolve:00:00:00:12``)."""
    kind, _, rest = spec.strip().partition(":")
    color = ""
    head, sep, tail = rest.rpartition(":")
    if sep and (tail.startswith("#") or tail.count(",") == 2):
        rest, color = head, tail
    elif rest.startswith("#") or rest.count(",") == 2:
        rest, color = "", rest
    return kind.strip(), rest.strip(), color.strip()
