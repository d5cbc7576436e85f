"""Text rendering for burn-ins, slates and boards without any system font.

Backends, best first:

1. OpenCV >= 5 ``cv2.FontFace`` with its built-in fonts ("sans"; "uni" for scripts the sans
   face lacks, e.g. CJK): full Unicode, anti-aliased, no font file on disk.
2. Pillow's built-in ``ImageFont.load_default(size)`` (Aileron, a small Latin subset bundled in
   Pillow): text is transliterated to ASCII first so nothing renders as a box.

Everything returns 8-bit alpha masks; colouring and blending happen in ``frames.py``.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger(__name__)

_PUNCT = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2022": "*",
    "\u00d7": "x",
    "\u00df": "ss",
    "\u00e6": "ae",
    "\u00c6": "AE",
    "\u0153": "oe",
    "\u0152": "OE",
    "\u00f8": "o",
    "\u00d8": "O",
    "\u0142": "l",
    "\u0141": "L",
    "\u00f0": "d",
    "\u00d0": "D",
    "\u00fe": "th",
    "\u00de": "Th",
}


def fold_text(text: str, keep: str = "ascii") -> str:
    """Transliterate ``text`` into the ``keep`` codec ("ascii", "cp1252", ...).

    Characters the codec can hold are kept; others lose their accents (NFKD) or map through a
    small punctuation table; anything left becomes "?". Never raises.
    """
    out: list[str] = []
    for ch in text:
        try:
            ch.encode(keep)
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        if ch in _PUNCT:
            rep = _PUNCT[ch]
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            rep = "".join(c for c in decomposed if not unicodedata.combining(c))
        try:
            rep.encode(keep)
        except UnicodeEncodeError:
            rep = "?"
        out.append(rep or "?")
    return "".join(out)


@dataclass(frozen=True)
class TextBox:
    width: int
    height: int  # line height (ascent + descent)
    ascent: int


class _CvFont:
    """OpenCV 5 built-in fonts (``cv2.FontFace``)."""

    name = "opencv"

    def __init__(self) -> None:
        self._sans = cv2.FontFace("sans")
        self._uni = cv2.FontFace("uni")

    def _face(self, text: str):
        # The sans face covers Latin, Greek and Cyrillic; hand other scripts to "uni".
        if all(ord(c) < 0x0530 or 0x2000 <= ord(c) < 0x2070 for c in text):
            return self._sans
        return self._uni

    def measure(self, text: str, size: int, bold: bool = False) -> TextBox:
        face = self._face(text)
        x, y, w, h = cv2.getTextSize((0, 0), text or " ", (0, 0), face, size, 700 if bold else 400)
        return TextBox(width=int(x + w), height=int(h), ascent=int(-y))

    def draw(
        self, mask: np.ndarray, text: str, x: int, baseline: int, size: int, bold: bool
    ) -> None:
        face = self._face(text)
        cv2.putText(mask, text, (int(x), int(baseline)), (255,), face, size, 700 if bold else 400)


class _PilFont:
    """Pillow's bundled default font; Latin only, so text is folded to ASCII."""

    name = "pillow"

    @functools.lru_cache(maxsize=32)  # noqa: B019 - a handful of sizes, lives for the process
    def _font(self, size: int):
        from PIL import ImageFont

        try:
            return ImageFont.load_default(size=size)
        except Exception:  # no FreeType: fixed-size bitmap font
            return ImageFont.load_default()

    def measure(self, text: str, size: int, bold: bool = False) -> TextBox:
        font = self._font(size)
        text = fold_text(text)
        left, top, right, bottom = font.getbbox(text or " ")
        ascent, descent = font.getmetrics() if hasattr(font, "getmetrics") else (bottom, 0)
        return TextBox(width=int(right), height=int(ascent + descent), ascent=int(ascent))

    def draw(
        self, mask: np.ndarray, text: str, x: int, baseline: int, size: int, bold: bool
    ) -> None:
        from PIL import Image, ImageDraw

        font = self._font(size)
        img = Image.fromarray(mask)
        draw = ImageDraw.Draw(img)
        text = fold_text(text)
        draw.text(
            (x, baseline),
            text,
            fill=255,
            font=font,
            anchor="ls",
            stroke_width=1 if bold else 0,
            stroke_fill=255,
        )
        mask[...] = np.asarray(img)


@functools.cache
def _backend():
    if hasattr(cv2, "FontFace"):
        try:
            return _CvFont()
        except Exception as exc:  # pragma: no cover - depends on the OpenCV build
            log.debug("OpenCV fonts unavailable (%s); using Pillow's", exc)
    return _PilFont()


def backend_name() -> str:
    return _backend().name


def measure(text: str, size: int, bold: bool = False) -> TextBox:
    return _backend().measure(text, size, bold)


def wrap(text: str, size: int, max_width: int, bold: bool = False, max_lines: int = 0) -> list[str]:
    """Greedy word wrap of ``text`` (newlines respected) to ``max_width`` pixels."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        words = para.split()
        if not words:
            lines.append("")
            continue
        cur = ""
        for word in words:
            trial = f"{cur} {word}" if cur else word
            if cur and measure(trial, size, bold).width > max_width:
                lines.append(cur)
                cur = word
            else:
                cur = trial
            # A single word wider than the box: hard-break it.
            while measure(cur, size, bold).width > max_width and len(cur) > 1:
                cut = len(cur) - 1
                while cut > 1 and measure(cur[:cut], size, bold).width > max_width:
                    cut -= 1
                lines.append(cur[:cut])
                cur = cur[cut:]
        lines.append(cur)
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and measure(last + "...", size, bold).width > max_width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "..."
    return lines


def text_mask(
    lines: list[str] | str,
    size: int,
    *,
    bold: bool = False,
    align: str = "left",
    line_spacing: float = 1.15,
    pad: int = 0,
) -> np.ndarray:
    """An 8-bit alpha mask holding ``lines`` (top-left aligned block, ``pad`` pixels around)."""
    if isinstance(lines, str):
        lines = [lines]
    boxes = [measure(line, size, bold) for line in lines]
    line_h = max(b.height for b in boxes)
    ascent = max(b.ascent for b in boxes)
    step = int(round(line_h * line_spacing))
    width = max(b.width for b in boxes) + 2 * pad + 2
    height = step * (len(lines) - 1) + line_h + 2 * pad + 2
    mask = np.zeros((height, width), np.uint8)
    for k, (line, box) in enumerate(zip(lines, boxes, strict=True)):
        if align == "center":
            x = pad + (width - 2 * pad - box.width) // 2
        elif align == "right":
            x = width - pad - box.width - 1
        else:
            x = pad
        _backend().draw(mask, line, x, pad + ascent + k * step, size, bold)
    return mask
