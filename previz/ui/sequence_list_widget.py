"""The project's sequences, in order: pick one to show on the board; add, rename, remove."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from previz.core.time import describe_rate, is_drop_rate
from previz.core.values import SequenceInfo
from previz.ui.errors import show_error


def _duration(frames: int, fps: Fraction) -> str:
    secs = int(Fraction(frames) / fps) if fps else 0
    return f"{secs // 60}:{secs % 60:02d}"


class SequenceListWidget(QWidget):
    sequence_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.svc: Any = None
        self._loading = False
        self._ids: list[int] = []
        self._signature: tuple[Any, ...] | None = None
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemDoubleClicked.connect(lambda _i: self.rename_current())
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._show_menu)
        self.btn_add = QToolButton()
        self.btn_add.setText("+ Sequence")
        self.btn_add.setToolTip("Add a sequence")
        self.btn_add.clicked.connect(self._add_clicked)
        self.btn_rename = QToolButton()
        self.btn_rename.setText("Rename")
        self.btn_rename.clicked.connect(self.rename_current)
        self.btn_remove = QToolButton()
        self.btn_remove.setText("Remove")
        self.btn_remove.setToolTip("Remove the sequence (undoable)")
        self.btn_remove.clicked.connect(self.remove_current)
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.btn_add)
        row.addStretch(1)
        row.addWidget(self.btn_rename)
        row.addWidget(self.btn_remove)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.list, 1)
        lay.addLayout(row)

    def set_project(self, svc: Any) -> None:
        self.svc = svc
        self.set_sequences([], None)

    def set_sequences(self, seqs: list[SequenceInfo], current: int | None) -> None:
        signature = (tuple(seqs), current)
        if signature == self._signature:
            return
        self._signature = signature
        self._loading = True
        self.list.blockSignals(True)  # no slot runs while the items are replaced
        try:
            self.list.clear()
            self._ids = []
            for s in seqs:
                shots = f"{s.shot_count} shot" + ("" if s.shot_count == 1 else "s")
                info = (
                    f"{shots} · {_duration(s.duration_frames, s.fps)} planned · {s.width}x{s.height}"
                    f" @ {describe_rate(s.fps)}"
                )
                item = QListWidgetItem(f"{s.name}\n{info}")
                item.setToolTip(info)
                self.list.addItem(item)
                self._ids.append(s.id)
            if current in self._ids:
                self.list.setCurrentRow(self._ids.index(current))
        finally:
            self.list.blockSignals(False)
            self._loading = False

    def current_id(self) -> int | None:
        row = self.list.currentRow()
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def _current_changed(self, *_a: Any) -> None:
        if self._loading:
            return
        sid = self.current_id()
        if sid is not None:
            self.sequence_selected.emit(sid)

    def _add_clicked(self) -> None:
        if self.svc is None:
            return
        n = len(self.svc.sequences()) + 1
        name, ok = QInputDialog.getText(self, "Add sequence", "Name:", text=f"Sequence {n}")
        if ok and name.strip():
            self.add_sequence(name)

    def add_sequence(self, name: str) -> int | None:
        try:
            seq = self.svc.add_sequence(name)
        except Exception as exc:
            show_error(self, exc)
            return None
        self.sequence_selected.emit(seq.id)
        return seq.id

    def rename_current(self) -> None:
        sid = self.current_id()
        if sid is None or self.svc is None:
            return
        old = self.svc.sequence(sid).name
        name, ok = QInputDialog.getText(self, "Rename sequence", "Name:", text=old)
        if ok and name.strip() and name != old:
            try:
                self.svc.rename_sequence(sid, name)
            except Exception as exc:
                show_error(self, exc)

    def context_menu(self) -> QMenu:
        """Rename, remove and the sequence's timecode setting (drop-frame: 29.97/59.94 only)."""
        menu = QMenu(self)
        menu.addAction("Rename…", self.rename_current)
        menu.addAction("Remove", self.remove_current)
        menu.addSeparator()
        act = menu.addAction("Drop-frame timecode")
        act.setCheckable(True)
        sid = self.current_id()
        seq = self.svc.sequence(sid) if sid is not None and self.svc is not None else None
        act.setChecked(bool(seq and seq.drop_frame))
        act.setEnabled(bool(seq and is_drop_rate(seq.fps)))
        if seq is not None and not is_drop_rate(seq.fps):
            act.setToolTip("Drop-frame timecode exists only at 29.97 and 59.94 fps")
        act.toggled.connect(self.set_drop_frame)
        self.drop_frame_action = act
        return menu

    def _show_menu(self, pos: QPoint) -> None:
        if self.current_id() is None:
            return
        self.context_menu().exec(self.list.viewport().mapToGlobal(pos))

    def set_drop_frame(self, on: bool) -> None:
        sid = self.current_id()
        if sid is None or self.svc is None:
            return
        try:
            self.svc.edit_sequence(sid, drop_frame=on)
        except Exception as exc:
            show_error(self, exc)

    def remove_current(self) -> None:
        sid = self.current_id()
        if sid is None or self.svc is None:
            return
        try:
            self.svc.remove_sequence(sid)
        except Exception as exc:
            show_error(self, exc)
