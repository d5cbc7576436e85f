"""Two takes side by side, played in step (one transport drives both players)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from previz.ui.player_widget import PlayerWidget


class QtCompareDialog(QDialog):
    def __init__(self, svc: Any, take_a: int, take_b: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Compare takes")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1100, 480)
        self.players: list[PlayerWidget] = []
        row = QHBoxLayout()
        for take_id in (take_a, take_b):
            t = svc.take_by_id(take_id)
            col = QVBoxLayout()
            title = QLabel(f"Take {t.number} · {t.operation} · seed {t.seed}")
            title.setStyleSheet("font-weight: 600; padding: 4px;")
            col.addWidget(title)
            p = PlayerWidget(compact=True)
            p.set_project(svc)
            p.show_take(take_id)
            col.addWidget(p, 1)
            row.addLayout(col, 1)
            self.players.append(p)
        controls = QHBoxLayout()
        play = QPushButton("Play both")
        play.clicked.connect(self.toggle)
        back = QPushButton("◀ Frame")
        back.clicked.connect(lambda: self.step(-1))
        fwd = QPushButton("Frame ▶")
        fwd.clicked.connect(lambda: self.step(1))
        start = QPushButton("Start")
        start.clicked.connect(lambda: self.seek(0))
        for b in (start, back, play, fwd):
            controls.addWidget(b)
        controls.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        controls.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addLayout(row, 1)
        lay.addLayout(controls)
        # the left player is the clock; the right one follows its frame
        self.players[0].frame_changed.connect(self._follow)

    def _follow(self, frame: int) -> None:
        other = self.players[1]
        if other.frame != frame and frame < other.total_frames:
            other.seek(frame)

    def toggle(self) -> None:
        self.players[0].toggle_play()

    def step(self, n: int) -> None:
        self.players[0].step(n)

    def seek(self, frame: int) -> None:
        self.players[0].seek(frame)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        for p in self.players:
            p.shutdown()
        super().closeEvent(event)
