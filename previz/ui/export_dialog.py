"""Export dialog: a reel, editor timelines and boards, with progress and cancel.

The export runs on a plain thread (it only touches files and the project's read API through
the export service); the dialog polls its progress with a timer, so no Qt object is touched
from the worker thread. Cancel stops it and leaves nothing under the target names.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
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
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from previz.services.export import (
    ExportRequest,
    credentials_line,
    default_export_folder,
    export,
    prepare_export_folder,
)
from previz.services.project import ProjectService
from previz.ui.elided_label import ElidedLabel


@dataclass
class _State:
    label: str = ""
    done: int = 0
    total: int = 1
    result: dict[str, Any] | None = None
    error: BaseException | None = None
    finished: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class ExportDialog(QDialog):
    """Choose sequences, outputs and dressing; export with a progress bar and cancel."""

    finished_export = Signal(object)  # the result dict, or an exception

    def __init__(
        self,
        svc: ProjectService,
        parent: QWidget | None = None,
        current_sequence: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setObjectName("exportDialog")
        self.svc = svc
        self._cancel = threading.Event()
        self._state = _State()
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._poll)

        self.sequences = QListWidget()
        for seq in svc.sequences():
            item = QListWidgetItem(f"{seq.name}  ({seq.shot_count} shots)")
            item.setData(Qt.ItemDataRole.UserRole, seq.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = current_sequence is None or seq.id == current_sequence
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.sequences.addItem(item)
        self.sequences.setMaximumHeight(110)

        default_dir = default_export_folder(svc)  # made when the export starts
        stem = svc.name().replace(" ", "_")
        self.folder = QLineEdit(str(default_dir))
        self.folder.setToolTip(
            "Where the files go (created if missing); the project's own exports/ by default"
        )
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_folder)
        self.stem = QLineEdit(stem)
        self.reel = QCheckBox("Previz reel (MP4)")
        self.reel.setChecked(True)
        self.edl = QCheckBox("EDL (CMX 3600)")
        self.fcpxml = QCheckBox("FCP 7 XML (Premiere, Resolve)")
        self.otio = QCheckBox("OpenTimelineIO")
        self.pdf = QCheckBox("PDF storyboards")
        self.burnins = QCheckBox("Burn-ins: shot code, take, timecode, dialogue")
        self.burnins.setChecked(True)
        self.watermark = QLineEdit("AI-GENERATED PREVIZ")
        self.slate = QCheckBox("Head slate")
        self.slate.setChecked(True)
        self.scene_cards = QCheckBox("Scene title cards")
        self.codec = QComboBox()
        self.codec.addItems(["h264", "prores"])
        self.quality = QComboBox()
        self.quality.addItems(["standard", "draft", "high"])

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Sequences", self.sequences)
        form.addRow("Folder", row)
        form.addRow("Name", self.stem)
        outputs = QVBoxLayout()
        for w in (self.reel, self.edl, self.fcpxml, self.otio, self.pdf):
            outputs.addWidget(w)
        form.addRow("Outputs", outputs)
        dress = QVBoxLayout()
        for w in (self.burnins, self.slate, self.scene_cards):
            dress.addWidget(w)
        form.addRow("Reel", dress)
        form.addRow("Watermark", self.watermark)
        form.addRow("Codec", self.codec)
        form.addRow("Quality", self.quality)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        # what happened: wrapped, never wider than the dialog; the folder on its own line,
        # elided in the middle with the whole path in its tooltip
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = ElidedLabel(mode=Qt.TextElideMode.ElideMiddle)
        self.where.setStyleSheet("color: #a0a0a0;")
        self.where.hide()
        self.written_folder: Path | None = None
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.addButton(
            "Open folder", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.setToolTip("Show the exported files in the file manager")
        self.open_button.hide()
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self.open_folder)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.where)
        layout.addWidget(self.buttons)
        if parent is not None:  # a dialog never grows wider than its window
            self.setMaximumWidth(max(self.sizeHint().width(), parent.window().width()))

    # --- the request ---------------------------------------------------------------------------

    def _choose_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export to", self.folder.text())
        if d:
            self.folder.setText(d)

    def request(self) -> ExportRequest:
        folder = Path(self.folder.text()).expanduser()
        stem = self.stem.text().strip() or "previz"
        seq_ids = [
            str(self.sequences.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.sequences.count())
            if self.sequences.item(i).checkState() == Qt.CheckState.Checked
        ]
        codec = self.codec.currentText()
        names = {s.id: s.name for s in self.svc.sequences()}
        return ExportRequest(
            sequences=[names[int(i)] for i in seq_ids],
            reel=folder / f"{stem}.{'mov' if codec == 'prores' else 'mp4'}"
            if self.reel.isChecked()
            else None,
            edl=folder / f"{stem}.edl" if self.edl.isChecked() else None,
            fcpxml=folder / f"{stem}.xml" if self.fcpxml.isChecked() else None,
            otio=folder / f"{stem}.otio" if self.otio.isChecked() else None,
            pdf=folder / f"{stem}_boards.pdf" if self.pdf.isChecked() else None,
            burnins=self.burnins.isChecked(),
            watermark=self.watermark.text(),
            head_slate=self.slate.isChecked(),
            scene_cards=self.scene_cards.isChecked(),
            codec=codec,
            quality=self.quality.currentText(),
        )

    # --- running -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        try:
            req = self.request()
            if not req.sequences:
                raise ValueError("tick at least one sequence to export")
            prepare_export_folder(self.svc, Path(self.folder.text()))
        except Exception as exc:
            self.status.setText(str(exc))
            return
        self.open_button.hide()
        self.where.hide()
        self.written_folder = None
        self.cancel_button.setText("Cancel")
        self._cancel.clear()
        self._state = _State()
        state = self._state
        svc_folder = self.svc.folder

        def progress(label: str, i: int, n: int) -> None:
            with state.lock:
                state.label, state.done, state.total = label, i, max(1, n)

        def work() -> None:
            # its own connection to the project: the GUI keeps using its own
            svc = ProjectService.open(svc_folder)
            try:
                res = export(svc, req, progress=progress, cancel=self._cancel)
                with state.lock:
                    state.result = res
            except BaseException as exc:  # shown on the GUI thread
                with state.lock:
                    state.error = exc
            finally:
                svc.close()
                with state.lock:
                    state.finished = True

        self.export_button.setEnabled(False)
        self.status.setText("Exporting…")
        self._thread = threading.Thread(target=work, name="previz-export", daemon=True)
        self._thread.start()
        self._timer.start()

    def cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def _poll(self) -> None:
        st = self._state
        with st.lock:
            label, done, total, finished = st.label, st.done, st.total, st.finished
            result, error = st.result, st.error
        self.progress.setValue(int(1000 * done / total))
        if label:
            self.status.setText(f"Exporting {label}: {100 * done // total}%")
        if not finished:
            return
        self._timer.stop()
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")  # nothing left to cancel
        if error is not None:
            text = str(error).splitlines()[0] if str(error) else type(error).__name__
            self.status.setText(text)
            self.finished_export.emit(error)
            return
        assert result is not None
        written = [
            result[k]["path"] for k in ("reel", "edl", "fcpxml", "otio", "pdf") if k in result
        ]
        # a word wider than the line cannot wrap: a long file name is elided in the middle
        fm = self.status.fontMetrics()
        room = max(80, self.status.contentsRect().width() - fm.horizontalAdvance("Wrote , "))
        names = [fm.elidedText(Path(p).name, Qt.TextElideMode.ElideMiddle, room) for p in written]
        text = "Wrote " + ", ".join(names)
        if line := credentials_line(result):
            text += f"\n{line[0].upper()}{line[1:]}"
        self.status.setText(text)
        self.status.setToolTip("\n".join(str(p) for p in written))
        if written:
            self.written_folder = Path(written[0]).parent
            self.where.setText(f"in {self.written_folder}")
            self.where.show()
            self.open_button.show()
        self.progress.setValue(1000)
        self.finished_export.emit(result)

    def open_folder(self) -> None:
        """Show the folder just written to in the system's file manager."""
        if self.written_folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written_folder)))
