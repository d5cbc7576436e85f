"""The questions a region edit asks: "Inpaint…" (what goes in the masked region) and
"Make Cinemagraph…" (what moves inside it, for how long, looping or not, from which still).

Both show what the mask is (held, or keys at frames) and the feather, taken from the player's
mask tool. They only ask; the shot actions queue the job through the generation service.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from previz.ui.mask_tool import MAX_FEATHER

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"


@dataclass(frozen=True)
class InpaintAnswer:
    prompt: str
    feather: int


@dataclass(frozen=True)
class CinemagraphAnswer:
    prompt: str
    seconds: float
    loop: bool
    feather: int
    image: str | None  # None: the frame of the take shown ("" : an image, none chosen)


def _prompt_box(text: str) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    box.setMinimumHeight(70)
    box.setMaximumHeight(110)
    return box


def _feather_box(value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, MAX_FEATHER)
    box.setValue(value)
    box.setSuffix(" px")
    box.setToolTip("The edit fades into the picture over this many pixels outside the mask")
    return box


def _finish(
    dlg: QDialog, intro: QLabel, form: QFormLayout, mask_text: str, ok: str, width: int
) -> QLabel:
    """A region dialog's last row (what the mask is), its buttons and layout; the mask row."""
    mask_label = QLabel(mask_text)
    mask_label.setObjectName("maskKeysText")
    mask_label.setWordWrap(True)
    form.addRow("Mask", mask_label)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    lay = QVBoxLayout(dlg)
    lay.addWidget(intro)
    lay.addLayout(form)
    lay.addWidget(buttons)
    dlg.resize(width, dlg.sizeHint().height())
    return mask_label


class InpaintDialog(QDialog):
    """Inpaint: a new take where only the masked region is made again from the prompt."""

    def __init__(
        self, parent: QWidget, *, take_label: str, prompt: str, mask_text: str, feather: int
    ) -> None:
        super().__init__(parent)
        self.setObjectName("inpaintDialog")
        self.setWindowTitle("Inpaint")
        intro = QLabel(
            f"A new take of {take_label}: inside the mask, what the prompt says; outside it, "
            "the take as it is."
        )
        intro.setWordWrap(True)
        self.prompt = _prompt_box(prompt)
        self.prompt.setPlaceholderText("What goes in the masked region")
        self.feather = _feather_box(feather)
        form = QFormLayout()
        form.addRow("Prompt", self.prompt)
        form.addRow("Feather", self.feather)
        self.mask_label = _finish(self, intro, form, mask_text, "Inpaint", 520)

    def answer(self) -> InpaintAnswer:
        return InpaintAnswer(self.prompt.toPlainText().strip(), self.feather.value())


class CinemagraphDialog(QDialog):
    """Make Cinemagraph: a still where only the masked region moves."""

    def __init__(
        self,
        parent: QWidget,
        *,
        frame_label: str,
        prompt: str,
        mask_text: str,
        feather: int,
        seconds: float,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cinemagraphDialog")
        self.setWindowTitle("Make Cinemagraph")
        intro = QLabel(
            "A new take: a still where only the masked region moves, as the prompt says."
        )
        intro.setWordWrap(True)
        self.prompt = _prompt_box(prompt)
        self.prompt.setPlaceholderText("What moves in the masked region (water, sky, lamps…)")
        self.from_frame = QRadioButton(frame_label)
        self.from_frame.setChecked(True)
        self.from_image = QRadioButton("An image file:")
        self.image = QLineEdit()
        self.image.setPlaceholderText("a PNG or JPEG the size of the take")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.image.textEdited.connect(lambda _t: self.from_image.setChecked(True))
        img_row = QHBoxLayout()
        img_row.addWidget(self.from_image)
        img_row.addWidget(self.image, 1)
        img_row.addWidget(self.browse)
        source = QVBoxLayout()
        source.addWidget(self.from_frame)
        source.addLayout(img_row)
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(0.1, 60.0)
        self.seconds.setDecimals(1)
        self.seconds.setSingleStep(0.5)
        self.seconds.setSuffix(" s")
        self.seconds.setValue(seconds)
        self.loop = QCheckBox("Loop seamlessly (the last frame leads back to the first)")
        self.feather = _feather_box(feather)
        form = QFormLayout()
        form.addRow("Prompt", self.prompt)
        form.addRow("Still", source)
        form.addRow("Duration", self.seconds)
        form.addRow("", self.loop)
        form.addRow("Feather", self.feather)
        self.mask_label = _finish(self, intro, form, mask_text, "Make Cinemagraph", 560)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "A still for the cinemagraph", str(Path.home()), IMAGE_FILTER
        )
        if path:
            self.image.setText(path)
            self.from_image.setChecked(True)

    def answer(self) -> CinemagraphAnswer:
        image = self.image.text().strip() if self.from_image.isChecked() else None
        return CinemagraphAnswer(
            self.prompt.toPlainText().strip(),
            self.seconds.value(),
            self.loop.isChecked(),
            self.feather.value(),
            image,
        )
