"""Small monochrome icons drawn in code (no image files, no font glyph dependencies)."""

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
    p.end()
    return QIcon(pm)
