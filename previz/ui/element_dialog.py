"""Add or edit an element: name, kind, description and an optional reference image."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from previz.core.elements import ELEMENT_KINDS
from previz.core.values import ElementInfo

KIND_NAMES = {
    "character": "Character",
    "location": "Location",
    "prop": "Prop",
    "style": "Style preset",
}


class QtElementDialog(QDialog):
    def __init__(self, element: ElementInfo | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Edit element" if element else "Add element")
        self.name = QLineEdit(element.name if element else "")
        self.name.setPlaceholderText("Captain (letters, digits, underscore)")
        self.name.setEnabled(element is None)
        self.kind = QComboBox()
        for k in ELEMENT_KINDS:
            self.kind.addItem(KIND_NAMES.get(k, k), k)
        if element:
            self.kind.setCurrentIndex(max(0, self.kind.findData(element.kind)))
        self.description = QPlainTextEdit(element.description if element else "")
        self.description.setPlaceholderText("How it looks: the words every @mention expands to")
        self.description.setFixedHeight(90)
        self.image = QLineEdit()
        self.image.setPlaceholderText("optional reference image")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        img = QHBoxLayout()
        img.addWidget(self.image, 1)
        img.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("Description", self.description)
        form.addRow("Reference", img)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(460, 0)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Reference image",
            str(Path.home()),
            "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.gif)",
        )
        if path:
            self.image.setText(path)

    def values(self) -> dict[str, object]:
        return {
            "name": self.name.text().strip(),
            "kind": self.kind.currentData(),
            "description": self.description.toPlainText().strip(),
            "image": self.image.text().strip() or None,
        }
