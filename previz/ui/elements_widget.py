"""Characters, locations, props and style presets, with their reference images.

Double-click an element to edit it; drag-free: its @name is what prompts mention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QStackedWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from previz.core.elements import ELEMENT_KINDS
from previz.core.values import ElementInfo
from previz.ui.element_dialog import KIND_NAMES, QtElementDialog
from previz.ui.empty_state import EmptyState
from previz.ui.errors import show_error
from previz.ui.prompt_highlighter import KIND_COLORS
from previz.ui.thumbnails import ThumbnailCache

ICON = QSize(40, 40)


class ElementsWidget(QWidget):
    mention_requested = Signal(str)  # insert @Name into the prompt

    def __init__(self, thumbs: ThumbnailCache | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.svc: Any = None
        self.thumbs = thumbs or ThumbnailCache()
        self._elements: list[ElementInfo] = []
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(ICON)
        self.tree.setIndentation(10)
        self.tree.setWordWrap(True)
        self.tree.itemDoubleClicked.connect(lambda *_: self.edit_current())
        self.empty = EmptyState(
            "No elements — add a character, prop or location with + Element and mention it "
            "in prompts as @Name: it reads the same in every shot"
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty)
        add = QToolButton()
        add.setText("+ Element")
        add.setToolTip("Add a character, location, prop or style preset")
        add.clicked.connect(self.add_dialog)
        edit = QToolButton()
        edit.setText("Edit")
        edit.setToolTip("Edit the selected element (or double-click it)")
        edit.clicked.connect(self.edit_current)
        mention = QToolButton()
        mention.setText("@ Insert")
        mention.setToolTip("Insert the element's @name into the prompt")
        mention.clicked.connect(self._mention)
        remove = QToolButton()
        remove.setText("Remove")
        remove.setToolTip("Remove the selected element")
        remove.clicked.connect(self.remove_current)
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(add)
        row.addStretch(1)
        row.addWidget(mention)
        row.addWidget(edit)
        row.addWidget(remove)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.stack, 1)
        lay.addLayout(row)

    def set_project(self, svc: Any) -> None:
        self.svc = svc
        self.thumbs.clear()
        self.refresh()

    def elements(self) -> list[ElementInfo]:
        return list(self._elements)

    def refresh(self) -> None:
        self.tree.blockSignals(True)
        try:
            self._rebuild()
        finally:
            self.tree.blockSignals(False)

    def _rebuild(self) -> None:
        self.tree.clear()
        self._elements = self.svc.elements() if self.svc is not None else []
        self.stack.setCurrentWidget(self.tree if self._elements else self.empty)
        for kind in ELEMENT_KINDS:
            group = [e for e in self._elements if e.kind == kind]
            if not group:
                continue
            top = QTreeWidgetItem([f"{KIND_NAMES.get(kind, kind)}s ({len(group)})"])
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            f = top.font(0)
            f.setBold(True)
            top.setFont(0, f)
            self.tree.addTopLevelItem(top)
            for e in group:
                desc = e.description if len(e.description) < 90 else e.description[:88] + "…"
                item = QTreeWidgetItem([f"@{e.name}\n{desc}" if desc else f"@{e.name}"])
                item.setData(0, Qt.ItemDataRole.UserRole, e.name)
                # the description is cut short in the list: the tooltip has all of it
                tip = f"@{e.name} ({KIND_NAMES.get(kind, kind).lower()})"
                item.setToolTip(0, f"{tip}\n{e.description}" if e.description else tip)
                item.setIcon(0, self._icon(e))
                top.addChild(item)
            top.setExpanded(True)

    def _icon(self, e: ElementInfo) -> QIcon:
        pm = None
        if e.image and self.svc is not None:
            pm = self.thumbs.get(Path(self.svc.folder) / e.image, ICON)
        if pm is None:
            pm = QPixmap(ICON)
            pm.fill(Qt.GlobalColor.transparent)
            p = QPainter(pm)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#3a3a3a"))
            p.drawRoundedRect(QRectF(2, 2, ICON.width() - 4, ICON.height() - 4), 6, 6)
            p.setPen(KIND_COLORS.get(e.kind, QColor("#bbbbbb")))
            f = QFont(self.font())
            f.setPointSize(13)
            f.setBold(True)
            p.setFont(f)
            p.drawText(pm.rect(), Qt.AlignmentFlag.AlignCenter, e.name[:1].upper())
            p.end()
        return QIcon(pm)

    def current_name(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def add_dialog(self) -> None:
        if self.svc is None:
            return
        dlg = QtElementDialog(None, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            v = dlg.values()
            self.add_element(str(v["name"]), str(v["kind"]), str(v["description"]), v["image"])  # type: ignore[arg-type]

    def add_element(
        self, name: str, kind: str, description: str = "", image: str | None = None
    ) -> ElementInfo | None:
        try:
            return self.svc.add_element(name, kind, description, image)
        except Exception as exc:
            show_error(self, exc)
            return None

    def edit_current(self) -> None:
        name = self.current_name()
        if name is None or self.svc is None:
            return
        el = self.svc.element(name)
        dlg = QtElementDialog(el, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            v = dlg.values()
            try:
                self.svc.edit_element(
                    name, description=v["description"], kind=v["kind"], image=v["image"]
                )
            except Exception as exc:
                show_error(self, exc)

    def remove_current(self) -> None:
        name = self.current_name()
        if name is not None and self.svc is not None:
            try:
                self.svc.remove_element(name)
            except Exception as exc:
                show_error(self, exc)

    def _mention(self) -> None:
        name = self.current_name()
        if name:
            self.mention_requested.emit(name)
