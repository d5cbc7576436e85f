"""Small monochrome icons drawn in code (no image files, no font glyph dependencies).

Transport icons for the player; tool icons for the main toolbar and menus (``TOOL_ICONS``)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

INK = QColor("#d6d6d6")
SIZE = 32  # drawn at 2x, shown at 16


def _canvas() -> tuple[QPixmap, QPainter]:
    pm = QPixmap(SIZE, SIZE)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(INK)
    return pm, p


def _tri(p: QPainter, x0: float, x1: float, top: float = 7, bottom: float = 25) -> None:
    mid = (top + bottom) / 2
    p.drawPolygon(QPolygonF([QPointF(x0, top), QPointF(x1, mid), QPointF(x0, bottom)]))


@cache
def icon(name: str) -> QIcon:
    pm, p = _canvas()
    if name == "play":
        _tri(p, 9, 25, 6, 26)
    elif name == "pause":
        p.drawRect(QRectF(9, 7, 5, 18))
        p.drawRect(QRectF(18, 7, 5, 18))
    elif name == "start":
        p.drawRect(QRectF(7, 7, 3, 18))
        _tri(p, 25, 11)
    elif name == "end":
        _tri(p, 7, 21)
        p.drawRect(QRectF(22, 7, 3, 18))
    elif name == "step_back":
        _tri(p, 20, 8)
        p.drawRect(QRectF(22, 7, 3, 18))
    elif name == "step_fwd":
        p.drawRect(QRectF(7, 7, 3, 18))
        _tri(p, 12, 24)
    elif name == "loop":
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(INK, 2.6))
        path = QPainterPath()
        path.arcMoveTo(QRectF(7, 8, 18, 16), 60)
        path.arcTo(QRectF(7, 8, 18, 16), 60, 300)
        p.drawPath(path)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(INK)
        p.drawPolygon(QPolygonF([QPointF(19, 4), QPointF(25, 9), QPointF(18, 12)]))
    elif name == "sound":  # a speaker with one wave
        p.drawPolygon(
            QPolygonF(
                [QPointF(5, 12), QPointF(10, 12), QPointF(17, 6), QPointF(17, 26)]
                + [QPointF(10, 20), QPointF(5, 20)]
            )
        )
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(INK, 2.4))
        p.drawArc(QRectF(14, 9, 12, 14), -60 * 16, 120 * 16)
    elif name == "grab":  # a still camera
        p.drawRoundedRect(QRectF(4, 10, 24, 16), 3, 3)
        p.drawRect(QRectF(11, 6, 10, 5))
        p.setBrush(QColor("#202020"))
        p.drawEllipse(QPointF(16, 18), 5, 5)
    elif name == "safe":  # a frame with its action- and title-safe areas inside
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(INK, 2.2))
        p.drawRect(QRectF(3, 7, 26, 18))
        p.setPen(QPen(INK, 1.6, Qt.PenStyle.DashLine))
        p.drawRect(QRectF(7.5, 10.5, 17, 11))
    else:
        _draw_tool(p, name)
    p.end()
    return QIcon(pm)


TOOL_ICONS = (
    "add",
    "insert",
    "generate",
    "draft",
    "reprompt",
    "variations",
    "extend_fwd",
    "extend_back",
    "bridge",
    "remix",
    "move_earlier",
    "move_later",
    "undo",
    "redo",
    "export",
    "mask",
    "inpaint",
    "cinemagraph",
    "mask_brush",
    "mask_rect",
    "mask_ellipse",
    "mask_erase",
    "mask_move",
)


def _stroke(p: QPainter, width: float = 2.6) -> None:
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(INK, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))


def _fill(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(INK)


def _star(p: QPainter, cx: float, cy: float, r: float) -> None:
    """A four-pointed sparkle."""
    k = r * 0.28
    p.drawPolygon(
        QPolygonF(
            [
                QPointF(cx, cy - r),
                QPointF(cx + k, cy - k),
                QPointF(cx + r, cy),
                QPointF(cx + k, cy + k),
                QPointF(cx, cy + r),
                QPointF(cx - k, cy + k),
                QPointF(cx - r, cy),
                QPointF(cx - k, cy - k),
            ]
        )
    )


def _curl(p: QPainter, mirror: bool) -> None:
    """An undo arrow (a redo arrow when ``mirror``)."""
    if mirror:
        p.translate(SIZE, 0)
        p.scale(-1, 1)
    _stroke(p)
    path = QPainterPath()
    path.moveTo(10, 13)
    path.lineTo(19, 13)
    path.cubicTo(27, 13, 27, 25, 19, 25)
    path.lineTo(12, 25)
    p.drawPath(path)
    _fill(p)
    p.drawPolygon(QPolygonF([QPointF(4, 13), QPointF(12, 6), QPointF(12, 20)]))


def _draw_tool(p: QPainter, name: str) -> None:
    if name in ("add", "insert"):
        _stroke(p, 1.8)
        x0 = 4 if name == "add" else 13
        p.drawRoundedRect(QRectF(x0, 8, 15, 16), 2, 2)
        _stroke(p, 3)
        cx = 25 if name == "add" else 7
        p.drawLine(QPointF(cx - 5, 16), QPointF(cx + 5, 16))
        p.drawLine(QPointF(cx, 11), QPointF(cx, 21))
    elif name == "generate":
        _star(p, 13, 17, 11)
        _star(p, 25, 8, 5)
    elif name == "draft":
        _stroke(p, 2)
        pen = p.pen()
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawRoundedRect(QRectF(4, 7, 24, 18), 2, 2)
        _fill(p)
        _star(p, 16, 16, 6)
    elif name == "reprompt":
        _stroke(p)
        path = QPainterPath()
        path.arcMoveTo(QRectF(6, 6, 20, 20), 100)
        path.arcTo(QRectF(6, 6, 20, 20), 100, 280)
        p.drawPath(path)
        _fill(p)
        p.drawPolygon(QPolygonF([QPointF(11, 2), QPointF(18, 6), QPointF(11, 11)]))
        _star(p, 16, 16, 5)
    elif name == "variations":
        for x, y in ((5, 5), (17, 5), (5, 17), (17, 17)):
            p.drawRoundedRect(QRectF(x, y, 10, 10), 2, 2)
    elif name in ("extend_fwd", "extend_back"):
        if name == "extend_back":
            p.translate(SIZE, 0)
            p.scale(-1, 1)
        p.drawRect(QRectF(3, 9, 12, 14))
        _stroke(p, 2.6)
        p.drawLine(QPointF(17, 16), QPointF(24, 16))
        _fill(p)
        _tri(p, 22, 30, 10, 22)
    elif name == "bridge":
        p.drawRect(QRectF(2, 12, 8, 12))
        p.drawRect(QRectF(22, 12, 8, 12))
        _stroke(p, 2.4)
        path = QPainterPath()
        path.moveTo(8, 14)
        path.cubicTo(12, 4, 20, 4, 24, 14)
        p.drawPath(path)
    elif name == "remix":
        _stroke(p, 2.4)
        p.drawEllipse(QRectF(5, 5, 22, 22))
        path = QPainterPath()
        path.moveTo(9, 20)
        path.cubicTo(13, 8, 19, 24, 23, 12)
        p.drawPath(path)
    elif name in ("move_earlier", "move_later"):
        if name == "move_later":
            p.translate(SIZE, 0)
            p.scale(-1, 1)
        p.drawRect(QRectF(16, 8, 12, 16))
        _tri(p, 13, 3, 8, 24)
    elif name in ("undo", "redo"):
        _curl(p, name == "redo")
    elif name == "export":
        _stroke(p, 2.2)
        path = QPainterPath()
        path.moveTo(6, 16)
        path.lineTo(6, 26)
        path.lineTo(26, 26)
        path.lineTo(26, 16)
        p.drawPath(path)
        p.setPen(QPen(INK, 2.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(QPointF(16, 20), QPointF(16, 8))
        _fill(p)
        p.drawPolygon(QPolygonF([QPointF(9, 10), QPointF(16, 3), QPointF(23, 10)]))
    elif name == "mask":  # a frame with a dashed region in it
        _stroke(p, 1.8)
        p.drawRoundedRect(QRectF(3, 6, 26, 20), 2, 2)
        _fill(p)
        p.drawEllipse(QRectF(10, 10, 13, 12))
    elif name == "inpaint":  # a frame, a region in it, a sparkle on the region
        _stroke(p, 1.8)
        p.drawRoundedRect(QRectF(3, 6, 26, 20), 2, 2)
        pen = p.pen()
        pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawEllipse(QRectF(9, 10, 15, 12))
        _fill(p)
        _star(p, 16.5, 16, 5)
    elif name == "cinemagraph":  # a still frame with waves moving in its lower part
        _stroke(p, 1.8)
        p.drawRoundedRect(QRectF(3, 6, 26, 20), 2, 2)
        _stroke(p, 2.2)
        for y in (16, 21):
            path = QPainterPath()
            path.moveTo(7, y)
            path.cubicTo(11, y - 4, 13, y + 4, 17, y)
            path.cubicTo(21, y - 4, 23, y + 4, 25, y)
            p.drawPath(path)
        _fill(p)
        p.drawEllipse(QRectF(20, 8, 5, 5))
    elif name == "mask_brush":  # a round brush dab and its handle
        p.drawEllipse(QRectF(4, 17, 11, 11))
        _stroke(p, 3.2)
        p.drawLine(QPointF(13, 19), QPointF(27, 5))
    elif name == "mask_rect":
        p.drawRect(QRectF(5, 8, 22, 16))
    elif name == "mask_ellipse":
        p.drawEllipse(QRectF(4, 7, 24, 18))
    elif name == "mask_move":  # a four-way arrow
        _stroke(p, 2.6)
        p.drawLine(QPointF(16, 7), QPointF(16, 25))
        p.drawLine(QPointF(7, 16), QPointF(25, 16))
        _fill(p)
        p.drawPolygon(QPolygonF([QPointF(16, 2), QPointF(21, 8), QPointF(11, 8)]))
        p.drawPolygon(QPolygonF([QPointF(16, 30), QPointF(21, 24), QPointF(11, 24)]))
        p.drawPolygon(QPolygonF([QPointF(2, 16), QPointF(8, 11), QPointF(8, 21)]))
        p.drawPolygon(QPolygonF([QPointF(30, 16), QPointF(24, 11), QPointF(24, 21)]))
    elif name == "mask_erase":  # an eraser block, tilted
        p.translate(16, 16)
        p.rotate(-35)
        p.drawRoundedRect(QRectF(-11, -6, 12, 12), 2, 2)
        _stroke(p, 2)
        p.drawRoundedRect(QRectF(1, -6, 11, 12), 2, 2)
    else:
        raise KeyError(f"no icon named {name!r}")
