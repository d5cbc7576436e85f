"""The player's picture: a decoded RGB frame painted to fit, with delivery guides on top.

Guides: the frame lines of a delivery aspect (2.39:1, 1.85:1, 16:9, 9:16) shaded outside, and
EBU R 95 safe areas (action safe 93 %, title safe 90 % of the frame's width and height).

With a mask tool set (``set_mask_tool``) the mask is drawn over the picture and the mouse paints
it: positions are mapped into the frame's own pixels (``to_frame``), whatever the zoom.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

GUIDES: list[tuple[str, float | None]] = [
    ("No guides", None),
    ("2.39:1", 2.39),
    ("1.85:1", 1.85),
    ("16:9", 16 / 9),
    ("9:16", 9 / 16),
]
ACTION_SAFE = 0.93
TITLE_SAFE = 0.90


def rgb_to_qimage(rgb: Any) -> QImage:
    """A QImage sharing ``rgb``'s memory (keep the array alive while the image is used)."""
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, int(rgb.strides[0]), QImage.Format.Format_RGB888)


class FrameView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(240, 135))
        self._array: Any = None
        self._image: QImage | None = None
        self.frame_size = QSize(16, 9)
        self.message = ""
        self.guide: float | None = None
        self.safe_areas = False
        self.fast = False  # while playing: a cheaper scale filter
        self.paints = 0
        self.mask_tool: Any = None  # previz.ui.mask_tool.MaskTool while masking
        self.on_mask_press: Any = None  # called before a stroke starts (the player pauses)
        self._hover: QPointF | None = None

    def set_mask_tool(self, tool: Any) -> None:
        """Paint ``tool``'s mask over the picture and let the mouse edit it (None: off)."""
        if self.mask_tool is not None:
            self.mask_tool.changed.disconnect(self.update)
        self.mask_tool = tool
        if tool is not None:
            tool.changed.connect(self.update)
        self.setMouseTracking(tool is not None)
        self.setCursor(
            Qt.CursorShape.CrossCursor if tool is not None else Qt.CursorShape.ArrowCursor
        )
        self._hover = None
        self.update()

    def scale(self) -> float:
        """Screen pixels per frame pixel."""
        return self.image_rect().width() / max(1, self.frame_size.width())

    def to_frame(self, pos: QPoint | QPointF) -> QPointF:
        """A widget position in the frame's pixels (may lie outside the frame)."""
        r = self.image_rect()
        s = self.scale()
        return QPointF((pos.x() - r.left()) / s, (pos.y() - r.top()) / s)

    def from_frame(self, x: float, y: float) -> QPoint:
        """The widget position of frame pixel (x, y)'s centre."""
        r = self.image_rect()
        s = self.scale()
        return QPoint(round(r.left() + (x + 0.5) * s), round(r.top() + (y + 0.5) * s))

    def _masking(self) -> bool:
        return self.mask_tool is not None and self._image is not None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self._masking():
            super().mousePressEvent(event)
            return
        if self.on_mask_press is not None:
            self.on_mask_press()
        erase = event.button() == Qt.MouseButton.RightButton or bool(
            event.modifiers() & Qt.KeyboardModifier.AltModifier
        )
        self.mask_tool.press(self.to_frame(event.position()), erase)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if not self._masking():
            super().mouseMoveEvent(event)
            return
        self._hover = QPointF(event.position())
        if event.buttons():
            self.mask_tool.move(self.to_frame(event.position()))
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if not self._masking():
            super().mouseReleaseEvent(event)
            return
        self.mask_tool.release(self.to_frame(event.position()))
        event.accept()

    def leaveEvent(self, event: Any) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def set_frame_size(self, width: int, height: int) -> None:
        self.frame_size = QSize(max(1, width), max(1, height))
        self.update()

    def set_frame(self, rgb: Any, message: str = "") -> None:
        self._array = rgb
        self._image = None if rgb is None else rgb_to_qimage(rgb)
        self.message = message
        self.update()

    def current_array(self) -> Any:
        return self._array

    def set_guide(self, aspect: float | None) -> None:
        self.guide = aspect
        self.update()

    def set_safe_areas(self, on: bool) -> None:
        self.safe_areas = on
        self.update()

    def image_rect(self) -> QRect:
        """Where the frame is drawn (fitted, centred)."""
        fw, fh = self.frame_size.width(), self.frame_size.height()
        w, h = self.width() - 2, self.height() - 2
        scale = min(w / fw, h / fh)
        dw, dh = max(1, round(fw * scale)), max(1, round(fh * scale))
        return QRect((self.width() - dw) // 2, (self.height() - dh) // 2, dw, dh)

    def guide_rect(self) -> QRect | None:
        """The delivery-aspect frame inside the picture, or None."""
        if not self.guide:
            return None
        r = self.image_rect()
        aspect = r.width() / max(1, r.height())
        if abs(aspect - self.guide) < 0.01:
            return QRect(r)
        if self.guide > aspect:
            h = round(r.width() / self.guide)
            return QRect(r.left(), r.top() + (r.height() - h) // 2, r.width(), h)
        w = round(r.height() * self.guide)
        return QRect(r.left() + (r.width() - w) // 2, r.top(), w, r.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#0e0e0e"))
        r = self.image_rect()
        if self._image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, not self.fast)
            p.drawImage(r, self._image)
        else:
            p.fillRect(r, QColor("#151515"))
            p.setPen(QColor("#8a8a8a"))
            p.drawText(
                r.adjusted(12, 12, -12, -12),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.message or "No picture",
            )
        g = self.guide_rect()
        if g is not None:
            shade = QColor(0, 0, 0, 165)
            for band in (
                QRect(r.left(), r.top(), r.width(), g.top() - r.top()),
                QRect(r.left(), g.bottom() + 1, r.width(), r.bottom() - g.bottom()),
                QRect(r.left(), g.top(), g.left() - r.left(), g.height()),
                QRect(g.right() + 1, g.top(), r.right() - g.right(), g.height()),
            ):
                if band.width() > 0 and band.height() > 0:
                    p.fillRect(band, shade)
            p.setPen(QPen(QColor(220, 220, 220, 150), 1))
            p.drawRect(QRectF(g).adjusted(0.5, 0.5, -0.5, -0.5))
        if self.safe_areas:
            base = g or r
            for frac, style in (
                (ACTION_SAFE, Qt.PenStyle.SolidLine),
                (TITLE_SAFE, Qt.PenStyle.DashLine),
            ):
                w, h = base.width() * frac, base.height() * frac
                sr = QRectF(base.center().x() - w / 2 + 0.5, base.center().y() - h / 2 + 0.5, w, h)
                p.setPen(QPen(QColor(230, 230, 230, 110), 1, style))
                p.drawRect(sr)
            c = base.center()
            p.setPen(QPen(QColor(230, 230, 230, 90), 1))
            p.drawLine(c.x() - 8, c.y(), c.x() + 8, c.y())
            p.drawLine(c.x(), c.y() - 8, c.x(), c.y() + 8)
        if self._masking():
            p.save()
            p.setClipRect(r)
            self.mask_tool.paint_overlay(p, r, self.scale())
            p.restore()
            if self._hover is not None and self.mask_tool.mode in ("brush", "erase"):
                radius = self.mask_tool.size.value() * self.scale() / 2
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(255, 255, 255, 200), 1))
                p.drawEllipse(self._hover, radius, radius)
        p.end()
