"""The player's scrub bar: the playback range, cuts between shots, the trim, the playhead."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from previz.ui import theme


class ScrubBarWidget(QWidget):
    scrubbed = Signal(int)  # frame under the mouse

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.total = 0
        self.position = 0
        self.cuts: list[int] = []
        self.trim_in: int | None = None
        self.trim_out: int | None = None  # exclusive
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(400, 22)

    def set_range(self, total: int, cuts: list[int] | None = None) -> None:
        self.total = max(0, total)
        self.cuts = list(cuts or [])
        self.update()

    def set_position(self, frame: int) -> None:
        if frame != self.position:
            self.position = frame
            self.update()

    def set_trim(self, trim_in: int | None, trim_out: int | None) -> None:
        self.trim_in, self.trim_out = trim_in, trim_out
        self.update()

    def _x(self, frame: float) -> int:
        w = self.width() - 12
        return 6 + round(w * frame / max(1, self.total))

    def frame_at(self, x: float) -> int:
        w = max(1, self.width() - 12)
        f = int((x - 6) / w * self.total)
        return max(0, min(self.total - 1, f))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.total and event.button() == Qt.MouseButton.LeftButton:
            self.scrubbed.emit(self.frame_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self.total and event.buttons() & Qt.MouseButton.LeftButton:
            self.scrubbed.emit(self.frame_at(event.position().x()))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        track = QRect(6, 8, self.width() - 12, 6)
        p.fillRect(track, QColor("#1a1a1a"))
        if self.total:
            if self.trim_in is not None or self.trim_out is not None:
                tin = self.trim_in or 0
                tout = self.total if self.trim_out is None else self.trim_out
                p.fillRect(
                    QRect(self._x(tin), track.top(), self._x(tout) - self._x(tin), track.height()),
                    QColor("#4b4b4b"),
                )
                p.fillRect(QRect(self._x(tin), 3, 2, 16), QColor("#bdbdbd"))
                p.fillRect(QRect(self._x(tout) - 2, 3, 2, 16), QColor("#bdbdbd"))
            else:
                p.fillRect(
                    QRect(
                        track.left(),
                        track.top(),
                        self._x(self.position) - track.left(),
                        track.height(),
                    ),
                    QColor("#3c3c3c"),
                )
            p.setPen(QColor("#6a6a6a"))
            for c in self.cuts:
                x = self._x(c)
                p.drawLine(x, 5, x, 17)
            x = self._x(self.position + 0.5)
            p.fillRect(QRect(x - 1, 2, 3, 18), theme.PLAYHEAD)
        p.end()
