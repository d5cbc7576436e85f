"""The player's mask tool: paint the region a region edit (Inpaint…, Make Cinemagraph…) changes.

The mask lives in the shown take's frame pixels (width x height of the take), whatever the
player's zoom: the frame view maps the mouse into frame coordinates and the tool paints there.
Brush (size in frame pixels), rectangle and ellipse add to the region; Erase (the mode, the
right button or Alt with any tool) takes away from it; Move drags the mask. Feather is the soft edge the edit blends
over, in pixels. Invert and Clear act on the mask shown.

Keyframes make a moving mask: with no key the mask holds for the whole take; Add Key puts the
mask shown at the current frame as a key, and painting at a frame between keys adds a key there
(as a compositor's auto-key does). Between keys the player shows the mask the engine will use,
interpolated by the same code (``previz.services.regions.mask_at``). The onion view tints the
mask over the frame, and the feather's soft edge fading out around it; without it only the
mask's edge and the feather's reach are drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from previz.ui import icons
from previz.ui.elided_label import ElidedLabel

MODES = ("brush", "rect", "ellipse", "erase", "move")
MODE_TIPS = {
    "brush": "Brush: paint the region to change (right button or Alt: erase)",
    "rect": "Rectangle: drag a box into the region (right button or Alt: take it out)",
    "ellipse": "Ellipse: drag an ellipse into the region (right button or Alt: take it out)",
    "erase": "Erase: brush the region away",
    "move": "Move: drag the mask at this frame (with keys: a key here, so the mask travels)",
}
MAX_BRUSH = 400
DEFAULT_BRUSH = 24
DEFAULT_FEATHER = 8  # engine.api.DEFAULT_FEATHER: the edit's soft edge, in pixels
MAX_FEATHER = 256
TINT = (255, 70, 70, 115)  # the onion view's colour over the frame
EDGE = (255, 90, 90, 235)
FEATHER_EDGE = (255, 150, 150, 120)  # how far the feather reaches
UNDO_KEPT = 16  # mask changes that Undo can take back
BETWEEN_KEPT = 48  # interpolated masks kept (frames between keys, while playing)

Mask = np.ndarray  # bool (H, W)


def mask_at(keys: list[tuple[int, Mask]], frame: int) -> Mask:
    """The mask the engine uses at ``frame`` for masks keyed at frames (interpolated)."""
    from previz.services.regions import mask_at as interpolate

    return interpolate(keys, frame)


class MaskTool(QWidget):
    """The mask being painted (its keys) and the bar of tools under the player's picture."""

    changed = Signal()  # the mask (or a key) changed: repaint
    seek_requested = Signal(int)  # a key's mark was clicked: go to that take frame

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskTool")
        self.width_px = 0
        self.height_px = 0
        self.frame = 0  # the take frame shown
        self.total = 0  # frames of the take
        # the mask: keys[None] holds for the whole take; int keys are keyframes (never both)
        self.keys: dict[int | None, np.ndarray] = {}  # uint8 0 / 255, (H, W), C-contiguous
        self._between: dict[int, Mask] = {}  # interpolated masks, by frame
        self._overlay: tuple[Any, ...] = ()  # (cache key, QImage, its array)
        self._stroke: dict[str, Any] | None = None  # the drag in progress
        self._history: list[dict[int | None, np.ndarray]] = []  # the keys before each change
        self.version = 0

        def button(name: str, text: str, tip: str, checkable: bool = False) -> QToolButton:
            b = QToolButton()
            b.setObjectName(f"mask_{name}")
            b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(checkable)
            b.setAutoRaise(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            return b

        self.mode = "brush"
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[str, QToolButton] = {}
        for name, text in zip(MODES, ("Brush", "Rect", "Ellipse", "Erase", "Move"), strict=True):
            b = button(name, text, MODE_TIPS[name], checkable=True)
            b.setIcon(icons.icon(f"mask_{name}"))
            b.setIconSize(QSize(16, 16))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            b.clicked.connect(lambda _c=False, n=name: self.set_mode(n))
            self.mode_group.addButton(b)
            self.mode_buttons[name] = b
        self.mode_buttons["brush"].setChecked(True)
        self.size = QSpinBox()
        self.size.setRange(1, MAX_BRUSH)
        self.size.setValue(DEFAULT_BRUSH)
        self.size.setSuffix(" px")
        self.size.setPrefix("Size ")
        self.size.setToolTip("Brush size, in pixels of the take's frame ([ smaller, ] larger)")
        self.feather = QSpinBox()
        self.feather.setRange(0, MAX_FEATHER)
        self.feather.setValue(DEFAULT_FEATHER)
        self.feather.setSuffix(" px")
        self.feather.setPrefix("Feather ")
        self.feather.setToolTip(
            "Soft edge: the edit fades into the take over this many pixels outside the mask"
        )
        self.feather.valueChanged.connect(lambda _v: self._touch(rebuild=False))
        for w in (self.size, self.feather):
            w.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.btn_invert = button("invert", "Invert", "Swap the region and the rest of the frame")
        self.btn_invert.clicked.connect(self.invert)
        self.btn_clear = button("clear", "Clear", "Remove the whole mask (every key)")
        self.btn_clear.clicked.connect(self.clear)
        self.btn_undo = button("undo", "Undo", "Undo: take back the last change to the mask")
        # an icon (the tool bar's Undo), so the bar fits the player at 1280x800
        self.btn_undo.setIcon(icons.icon("undo"))
        self.btn_undo.setIconSize(QSize(16, 16))
        self.btn_undo.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.btn_undo.clicked.connect(self.undo)
        self.btn_add_key = button(
            "add_key", "+ Key", "Keyframe: the mask at this frame (a moving mask)"
        )
        self.btn_add_key.clicked.connect(self.add_key)
        self.btn_del_key = button("del_key", "− Key", "Delete the key at this frame")
        self.btn_del_key.clicked.connect(self.delete_key)
        self.onion = QCheckBox("Onion")
        self.onion.setChecked(True)
        self.onion.setToolTip("Tint the mask over the picture (off: its outline only)")
        self.onion.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.onion.toggled.connect(lambda _on: self._touch(rebuild=False))
        self.keys_label = ElidedLabel("")  # "…" where it is cut, the whole of it in its tooltip
        self.keys_label.setObjectName("maskKeys")
        self.keys_label.setStyleSheet("color: #a0a0a0;")
        self.strip = KeyStrip(self)
        self.strip.clicked.connect(self.seek_requested)

        row1 = QHBoxLayout()
        row1.setContentsMargins(0, 0, 0, 0)
        row1.setSpacing(2)
        for b in self.mode_buttons.values():
            row1.addWidget(b)
        row1.addSpacing(4)
        row1.addWidget(self.size)
        row1.addWidget(self.feather)
        row1.addSpacing(4)
        for w in (self.btn_invert, self.btn_clear, self.btn_undo):
            row1.addWidget(w)
        row1.addStretch(1)
        row2 = QHBoxLayout()
        row2.setContentsMargins(0, 0, 0, 0)
        row2.setSpacing(2)
        row2.addWidget(self.btn_add_key)
        row2.addWidget(self.btn_del_key)
        row2.addWidget(self.strip, 2)
        row2.addWidget(self.keys_label, 1)
        row2.addWidget(self.onion)  # on the second row: the first must fit a 1280 px window
        self.extra = QHBoxLayout()  # the window puts Inpaint… / Make Cinemagraph… here
        self.extra.setSpacing(2)
        row2.addLayout(self.extra)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.setSpacing(2)
        lay.addLayout(row1)
        lay.addLayout(row2)
        self._update_keys_ui()

    # --- the take ------------------------------------------------------------------------------

    def set_frame_size(self, width: int, height: int) -> None:
        """The take's frame size; a mask of another size is dropped (it fits no frame here)."""
        if (width, height) != (self.width_px, self.height_px):
            self.width_px, self.height_px = width, height
            self.keys = {}
            self._history.clear()
            self._touch()

    def set_frame(self, frame: int, total: int) -> None:
        if (frame, total) != (self.frame, self.total):
            self.frame, self.total = frame, total
            self._stroke = None
            self._touch(rebuild=False)

    # --- what the mask is ----------------------------------------------------------------------

    @property
    def keyed(self) -> bool:
        return any(k is not None for k in self.keys)

    def key_frames(self) -> list[int]:
        return sorted(k for k in self.keys if k is not None)

    def mask(self, frame: int | None = None) -> Mask:
        """The mask at ``frame`` (default: the frame shown), bool (H, W)."""
        f = self.frame if frame is None else frame
        if not self.keys:
            return np.zeros((self.height_px, self.width_px), dtype=bool)
        if not self.keyed:
            return self.keys[None] > 0
        if f in self.keys:
            return self.keys[f] > 0
        frames = self.key_frames()
        if f < frames[0]:
            return self.keys[frames[0]] > 0
        if f > frames[-1]:
            return self.keys[frames[-1]] > 0
        if f not in self._between:
            if len(self._between) >= BETWEEN_KEPT:  # a 1080p mask is 2 MB: keep a few
                self._between.clear()
            self._between[f] = mask_at([(k, self.keys[k] > 0) for k in frames], f)
        return self._between[f]

    def is_empty(self) -> bool:
        return not any(bool(a.any()) for a in self.keys.values())

    def masks(self) -> list[tuple[int | None, Mask]]:
        """What a region edit is given: one held mask, or the masks at their key frames."""
        if not self.keyed:
            return [(None, self.keys[None] > 0)] if None in self.keys else []
        return [(k, self.keys[k] > 0) for k in self.key_frames()]

    def load(self, masks: list[tuple[int | None, Mask]], feather: int | None = None) -> None:
        """Put ``masks`` (a take's region, see ``load_region_masks``) in the tool."""
        keys: dict[int | None, np.ndarray] = {}
        self._remember()
        for frame, m in masks:
            h, w = m.shape
            if (w, h) != (self.width_px, self.height_px):
                self.width_px, self.height_px = w, h
                self._history.clear()
            keys[None if frame is None else int(frame)] = np.where(m, 255, 0).astype(np.uint8)
        if None in keys and len(keys) > 1:
            keys = {None: keys[None]}
        self.keys = keys
        if feather is not None:
            self.feather.setValue(int(feather))
        self._touch()

    def describe(self) -> str:
        """One line on the mask's keys (for the dialogs)."""
        if self.is_empty():
            return "No mask yet: paint the region to change in the player"
        if not self.keyed:
            return "One mask, held for the whole take"
        frames = self.key_frames()
        listed = ", ".join(str(f) for f in frames)
        if len(frames) == 1:
            return f"One key at frame {listed}, held for the whole take"
        return f"{len(frames)} keys at frames {listed}; the mask moves between them"

    # --- editing -------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.mode_buttons[mode].setChecked(True)

    def _edit_array(self) -> np.ndarray:
        """The array painting at the shown frame changes (a new key between keys)."""
        if not self.keyed:
            if None not in self.keys:
                self.keys[None] = np.zeros((self.height_px, self.width_px), dtype=np.uint8)
            return self.keys[None]
        if self.frame not in self.keys:
            self.keys[self.frame] = np.where(self.mask(), 255, 0).astype(np.uint8)
        return self.keys[self.frame]

    def _painter(self, arr: np.ndarray) -> tuple[QPainter, QImage]:
        img = QImage(
            arr.data, arr.shape[1], arr.shape[0], arr.shape[1], QImage.Format.Format_Grayscale8
        )
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        return p, img

    def press(self, at: QPointF, erase: bool = False) -> None:
        """Start a stroke or a shape at ``at`` (frame pixels)."""
        if self.width_px <= 0:
            return
        erase = erase or self.mode == "erase"
        self._remember()
        self._stroke = {"start": QPointF(at), "last": QPointF(at), "erase": erase}
        if self.mode in ("brush", "erase"):
            self._dab(at, at, erase)
        elif self.mode == "move":
            self._stroke["before"] = self._edit_array().copy()

    def move(self, at: QPointF) -> None:
        s = self._stroke
        if s is None:
            return
        if self.mode in ("brush", "erase"):
            self._dab(s["last"], at, s["erase"])
        elif self.mode == "move":
            d = at - s["start"]
            _shift_into(self._edit_array(), s["before"], round(d.x()), round(d.y()))
            self._between.clear()
            self._overlay = ()
        s["last"] = QPointF(at)
        self.changed.emit()

    def release(self, at: QPointF) -> None:
        s = self._stroke
        if s is None:
            return
        self._stroke = None
        if self.mode in ("rect", "ellipse"):
            box = QRectF(s["start"], at).normalized()
            if box.width() >= 1 and box.height() >= 1:
                arr = self._edit_array()
                p, _img = self._painter(arr)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(0, 0, 0) if s["erase"] else QColor(255, 255, 255))
                if self.mode == "rect":
                    p.drawRect(box)
                else:
                    p.drawEllipse(box)
                p.end()
        self._touch()

    def _dab(self, a: QPointF, b: QPointF, erase: bool) -> None:
        arr = self._edit_array()
        p, _img = self._painter(arr)
        size = self.size.value()
        colour = QColor(0, 0, 0) if erase else QColor(255, 255, 255)
        if a == b:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawEllipse(a, size / 2, size / 2)
        else:
            p.setPen(QPen(colour, size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(a, b)
        p.end()
        self._between.clear()
        self._overlay = ()

    def drag_box(self) -> tuple[str, QRectF] | None:
        """The rectangle or ellipse being dragged (frame pixels), to draw as it grows."""
        s = self._stroke
        if s is None or self.mode not in ("rect", "ellipse"):
            return None
        return self.mode, QRectF(s["start"], s["last"]).normalized()

    def invert(self) -> None:
        """Swap the region and the rest (at this frame's key, or the held mask)."""
        if self.width_px <= 0:
            return
        self._remember()
        arr = self._edit_array()
        np.subtract(255, arr, out=arr)
        self._touch()

    def clear(self) -> None:
        """No mask at all (every key goes; Undo brings it back)."""
        if self.keys:
            self._remember()
        self.keys = {}
        self._touch()

    def add_key(self) -> None:
        """The mask shown becomes a key at this frame (a held mask becomes the first key)."""
        if self.width_px <= 0:
            return
        self._remember()
        shown = np.where(self.mask(), 255, 0).astype(np.uint8)
        if not self.keyed:
            self.keys = {}
        self.keys[self.frame] = shown
        self._touch()

    def delete_key(self) -> None:
        if self.frame in self.keys and self.frame is not None:
            self._remember()
            del self.keys[self.frame]
            self._touch()

    def _remember(self) -> None:
        self._history.append({k: a.copy() for k, a in self.keys.items()})
        del self._history[:-UNDO_KEPT]
        self.btn_undo.setEnabled(True)

    def undo(self) -> None:
        """The mask as it was before the last change (a stroke, a shape, a key…)."""
        if not self._history:
            return
        self._stroke = None
        self.keys = self._history.pop()
        self._touch()

    def _touch(self, rebuild: bool = True) -> None:
        if rebuild:
            self._between.clear()
            self.version += 1
        self._overlay = ()
        self._update_keys_ui()
        self.changed.emit()

    def _update_keys_ui(self) -> None:
        frames = self.key_frames()
        self.btn_del_key.setEnabled(self.frame in frames)
        self.btn_undo.setEnabled(bool(self._history))
        on_key = self.frame in frames
        if frames:
            text = f"◆ key at f{self.frame}" if on_key else f"f{self.frame}: between keys"
            if self.frame < frames[0] or self.frame > frames[-1]:
                text = f"f{self.frame}: held from the nearest key"
        else:
            text = "held for the whole take"
        self.keys_label.setText(text)
        described = self.describe()
        self.keys_label.set_extra_tooltip(described if described != text else "")
        self.strip.set_keys(frames, self.frame, self.total)

    # --- drawing over the picture --------------------------------------------------------------

    def paint_overlay(self, p: QPainter, rect: QRect, scale: float) -> None:
        """Draw the mask over the picture drawn in ``rect`` (``scale``: screen px per frame px)."""
        if self.width_px <= 0:
            return
        onion = self.onion.isChecked()
        feather = self.feather.value()
        key = (self.version, self.frame, onion, feather, self.keyed, len(self.keys))
        if not self._overlay or self._overlay[0] != key:
            m = self.mask()
            rgba = np.zeros((self.height_px, self.width_px, 4), dtype=np.uint8)
            if onion:
                rgba[m] = TINT
            if feather > 0 and m.any():
                # the soft edge: where the edit fades into the take (as feather_alpha weighs it)
                d = _distance_outside(m)
                band = (d > 0) & (d < feather)
                t = 1.0 - d[band] / feather
                if onion:
                    rgba[band] = TINT
                    rgba[band, 3] = (TINT[3] * t * t * (3 - 2 * t)).astype(np.uint8)
                reach = d < feather
                rgba[reach & ~_eroded(reach)] = FEATHER_EDGE
            edge = m & ~_eroded(m)
            rgba[edge] = EDGE
            img = QImage(
                rgba.data,
                self.width_px,
                self.height_px,
                self.width_px * 4,
                QImage.Format.Format_RGBA8888,
            )
            self._overlay = (key, img, rgba)
        p.drawImage(rect, self._overlay[1])
        box = self.drag_box()
        if box is not None:
            mode, r = box
            sr = QRectF(
                rect.left() + r.left() * scale,
                rect.top() + r.top() * scale,
                r.width() * scale,
                r.height() * scale,
            )
            p.setPen(QPen(QColor(255, 255, 255, 220), 1, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            if mode == "rect":
                p.drawRect(sr)
            else:
                p.drawEllipse(sr)


def _shift_into(out: np.ndarray, src: np.ndarray, dx: int, dy: int) -> None:
    """``out`` = ``src`` moved by (dx, dy) pixels; what comes in from the edge is empty."""
    out[:] = 0
    h, w = src.shape
    if abs(dx) >= w or abs(dy) >= h:
        return
    out[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)] = src[
        max(0, -dy) : h + min(0, -dy), max(0, -dx) : w + min(0, -dx)
    ]


def _distance_outside(m: Mask) -> np.ndarray:
    """Pixels from each pixel to the mask (0 inside), as the engines measure the feather."""
    import cv2

    return cv2.distanceTransform(np.where(m, 0, 255).astype(np.uint8), cv2.DIST_L2, 5)


def _eroded(m: Mask) -> Mask:
    """``m`` less its one-pixel border (4-neighbourhood)."""
    out = m.copy()
    out[1:, :] &= m[:-1, :]
    out[:-1, :] &= m[1:, :]
    out[:, 1:] &= m[:, :-1]
    out[:, :-1] &= m[:, 1:]
    out[0, :] = out[-1, :] = False
    out[:, 0] = out[:, -1] = False
    return out & m


class KeyStrip(QWidget):
    """The take's length with a diamond at each key and a line at the frame shown."""

    clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskKeyStrip")
        self.setMinimumSize(QSize(60, 16))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.frames: list[int] = []
        self.frame = 0
        self.total = 0
        self.setToolTip("Keys of the mask (click one to go to it)")

    def set_keys(self, frames: list[int], frame: int, total: int) -> None:
        self.frames, self.frame, self.total = list(frames), frame, total
        self.update()

    def x_of(self, frame: int) -> float:
        span = max(1, self.total - 1)
        return 6 + (self.width() - 12) * frame / span

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self.frames:
            return
        x = event.position().x()
        nearest = min(self.frames, key=lambda f: abs(self.x_of(f) - x))
        if abs(self.x_of(nearest) - x) <= 8:
            self.clicked.emit(nearest)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        mid = self.height() / 2
        p.setPen(QPen(QColor("#4a4a4a"), 2))
        p.drawLine(QPointF(6, mid), QPointF(self.width() - 6, mid))
        if self.total > 0:
            x = self.x_of(self.frame)
            p.setPen(QPen(QColor("#8a8a8a"), 1))
            p.drawLine(QPointF(x, 1), QPointF(x, self.height() - 1))
            p.setPen(Qt.PenStyle.NoPen)
            for f in self.frames:
                p.setBrush(QColor("#ff5a5a") if f == self.frame else QColor("#e0b040"))
                x = self.x_of(f)
                p.drawPolygon(
                    [
                        QPointF(x, mid - 5),
                        QPointF(x + 5, mid),
                        QPointF(x, mid + 5),
                        QPointF(x - 5, mid),
                    ]
                )
        p.end()
