"""Application settings: model folders, device, default engine and model, default fps and size,
and the content-credentials certificate and key."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from previz.core.errors import InvalidInput, PrevizError
from previz.core.time import format_rate, parse_rate
from previz.services.project import parse_size
from previz.services.settings import AppSettings, check_content_credentials
from previz.ui.errors import show_error

DEVICES = ("auto", "cuda", "mps", "cpu")
ENGINES = ("animatic", "diffusers")
ATTENTION = ("", "native", "_native_cudnn", "_native_flash", "_native_efficient", "flash", "sage")
STEP_CACHES = ("", "first_block")
LONG_METHOD_TEXT = (
    ("auto", "auto: the model's long-video pipeline where it has one"),
    ("chain", "chained windows (each continues the last one's tail)"),
    ("pipeline", "the long-video pipeline (LTX-Video models only)"),
)


class QtSettingsDialog(QDialog):
    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings or AppSettings.load()
        s = self.settings
        self.folders = QListWidget()
        self.folders.addItems(s.model_folders)
        self.folders.setFixedHeight(90)
        add = QPushButton("Add…")
        add.clicked.connect(self._add_folder)
        remove = QPushButton("Remove")
        remove.clicked.connect(
            lambda: [
                self.folders.takeItem(self.folders.row(i)) for i in self.folders.selectedItems()
            ]
        )
        fbtn = QVBoxLayout()
        fbtn.addWidget(add)
        fbtn.addWidget(remove)
        fbtn.addStretch(1)
        frow = QHBoxLayout()
        frow.addWidget(self.folders, 1)
        frow.addLayout(fbtn)
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentIndex(max(0, self.device.findText(s.device)))
        self.engine = QComboBox()
        self.engine.addItems(list(ENGINES))
        self.engine.setCurrentIndex(max(0, self.engine.findText(s.default_engine)))
        self.model = QLineEdit(s.default_model)
        self.model.setPlaceholderText("model id or folder for the diffusers engine")
        self.fps = QComboBox()
        self.fps.setEditable(True)
        self.fps.addItems(["23.976", "24", "25", "29.97", "30", "50", "59.94", "60"])
        self.fps.setCurrentText(s.default_fps)
        self.size = QComboBox()
        self.size.setEditable(True)
        self.size.addItems(["1280x720", "1920x1080", "960x540", "1024x576", "720x1280"])
        self.size.setCurrentText(s.default_size)
        speed = dict(s.speed)
        self.compile = QCheckBox("Regional torch.compile (CUDA; slower first take)")
        self.compile.setChecked(bool(speed.get("compile")))
        self.attention = QComboBox()
        self.attention.addItems([a or "default" for a in ATTENTION])
        self.attention.setCurrentIndex(
            max(0, self.attention.findText(str(speed.get("attention") or "default")))
        )
        self.cfg_batch = QCheckBox("Batch guidance into one pass where the model allows")
        self.cfg_batch.setChecked(bool(speed.get("cfg_batch", True)))
        self.step_cache = QComboBox()
        self.step_cache.addItems(["off", "first_block (faster, slightly lower quality)"])
        self.step_cache.setCurrentIndex(1 if speed.get("step_cache") == "first_block" else 0)
        self.fp8 = QCheckBox("fp8 weights (low-VRAM cards; slightly lower quality)")
        self.fp8.setChecked(bool(speed.get("fp8")))
        form = QFormLayout(self)
        self.long_method = QComboBox()
        self.long_method.addItems([text for _, text in LONG_METHOD_TEXT])
        keys = [k for k, _ in LONG_METHOD_TEXT]
        self.long_method.setCurrentIndex(keys.index(s.long_method) if s.long_method in keys else 0)
        self.long_method.setToolTip(
            "How a shot longer than one model window is made; every long take records which"
        )
        form.addRow("Model folders", frow)
        form.addRow("Device", self.device)
        form.addRow("Default engine", self.engine)
        form.addRow("Default model", self.model)
        form.addRow("New project fps", self.fps)
        form.addRow("New project size", self.size)
        form.addRow("Long shots", self.long_method)
        form.addRow(QLabel("Speed (diffusers engine; recorded in every take)"))
        form.addRow("", self.compile)
        form.addRow("Attention", self.attention)
        form.addRow("", self.cfg_batch)
        form.addRow("Step cache", self.step_cache)
        form.addRow("", self.fp8)
        self._add_credentials(form, s)
        self.farm = QLineEdit(s.farm_address)
        self.farm.setPlaceholderText("empty: jobs run on this machine")
        self.farm.setToolTip(
            "A Ray cluster new jobs go to (a project's own farm wins): host:port of its head, "
            "auto, or ray://host:10001. Needs pip install 'previz-studio[farm]'."
        )
        form.addRow(QLabel("Render farm (a studio's Ray cluster)"))
        form.addRow("Address", self.farm)
        hint = QLabel(f"Saved in {s.path}")
        hint.setStyleSheet("color: #808080;")
        form.addRow(hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(520, 0)

    def _add_credentials(self, form: QFormLayout, s: AppSettings) -> None:
        """Content credentials: the certificate and key that sign every export (C2PA)."""
        self.cred_cert = QLineEdit(s.content_credentials_cert)
        self.cred_key = QLineEdit(s.content_credentials_key)
        self.cred_cert.setPlaceholderText("empty: a local certificate made for this install")
        self.cred_key.setPlaceholderText("the certificate's private key (PEM, no passphrase)")
        form.addRow(QLabel("Content credentials (a signed C2PA manifest on every reel and clip)"))
        for label, edit, title in (
            ("Certificate", self.cred_cert, "Signing certificate (PEM)"),
            ("Key", self.cred_key, "Private key (PEM)"),
        ):
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _=False, e=edit, t=title: self._pick_file(e, t))
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(browse)
            form.addRow(label, row)

    def _pick_file(self, edit: QLineEdit, title: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, title, "", "PEM files (*.pem *.crt *.key);;All files (*)"
        )
        if path:
            edit.setText(path)

    def _add_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Model folder")
        if path:
            self.folders.addItem(path)

    def apply(self) -> AppSettings:
        """Validate the form into the settings object and save it (raises on a bad value)."""
        s = self.settings
        rate = parse_rate(self.fps.currentText().strip())
        w, h = parse_size(self.size.currentText().strip())
        folders = [self.folders.item(i).text() for i in range(self.folders.count())]
        engine = self.engine.currentText()
        if engine not in ENGINES:
            raise InvalidInput(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
        cert, key = self.cred_cert.text().strip(), self.cred_key.text().strip()
        check_content_credentials(cert, key)
        from previz.services.farm import LOCAL, parse_address

        farm = parse_address(self.farm.text())
        fresh = AppSettings.load()  # keep what other windows changed (recent projects)
        fresh.content_credentials_cert, fresh.content_credentials_key = cert, key
        fresh.model_folders = folders
        fresh.device = self.device.currentText()
        fresh.default_engine = engine
        fresh.default_model = self.model.text().strip()
        text = self.fps.currentText().strip()
        fresh.default_fps = text if "." in text else format_rate(rate)
        fresh.default_size = f"{w}x{h}"
        fresh.long_method = LONG_METHOD_TEXT[self.long_method.currentIndex()][0]
        fresh.farm_address = "" if farm == LOCAL else farm
        attention = self.attention.currentText()
        fresh.speed = {
            **fresh.speed,
            "compile": self.compile.isChecked(),
            "attention": "" if attention == "default" else attention,
            "cfg_batch": self.cfg_batch.isChecked(),
            "step_cache": STEP_CACHES[self.step_cache.currentIndex()],
            "fp8": self.fp8.isChecked(),
        }
        fresh.save()
        self.settings = fresh
        s.__dict__.update(fresh.__dict__)
        return fresh

    def _save(self) -> None:
        try:
            self.apply()
        except PrevizError as exc:
            show_error(self, exc)
            return
        self.accept()
