"""One job in the queue panel: what it makes, its state, progress, ETA and live preview, and
where a render-farm job runs (its farm, waiting for a node or on which node)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from previz.core.values import JobInfo
from previz.services.runner import JobProgress
from previz.ui.elided_label import ElidedLabel
from previz.ui.frame_view import rgb_to_qimage

PREVIEW = QSize(128, 72)
KIND_NAMES = {
    "generate": "Generate",
    "extend": "Extend",
    "bridge": "Bridge",
    "remix": "Remix",
    "loop": "Loop",
}
STATUS_NAMES = {
    "pending": "Queued",
    "running": "Running",
    "done": "Done",
    "failed": "Failed",
    "canceled": "Cancelled",
    "interrupted": "Interrupted",
}


FARM_PREFIX = "farm: "  # the runner's note of where a farm job is ("farm: on node …")


def farm_place(job: JobInfo, p: JobProgress | None = None) -> str:
    """Where a queued or running farm job runs: its farm's address and, while it runs, what
    the farm says ("waiting for a node", "on node 1a2b3c4d"); "" for a local or finished job."""
    if job.runs_on in ("", "local") or job.status not in ("pending", "running"):
        return ""
    detail = ""
    if job.status == "running":
        if p is not None and p.stage.startswith(FARM_PREFIX):
            detail = p.stage.removeprefix(FARM_PREFIX)
        elif job.message.startswith(FARM_PREFIX):
            detail = job.message.removeprefix(FARM_PREFIX)
        elif job.message.startswith("sent to the farm"):
            detail = "sent"
    return f"farm {job.runs_on}" + (f": {detail}" if detail else "")


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


class JobRowWidget(QFrame):
    cancel_clicked = Signal(int)
    retry_clicked = Signal(int)
    move_clicked = Signal(int, int)  # job id, -1 up / +1 down

    def __init__(self, job: JobInfo, shot_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobRow")
        self.job = job
        self.progress_info: JobProgress | None = None
        self.preview_shown = False
        self.title = ElidedLabel()
        self.title.setStyleSheet("font-weight: 600;")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #a0a0a0;")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(6)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: #121212; border-radius: 3px; color: #666;")

        def tb(text: str, tip: str) -> QToolButton:
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            return b

        self.btn_up = tb("▲", "Run earlier")
        self.btn_down = tb("▼", "Run later")
        self.btn_cancel = tb("Cancel", "Cancel this job")
        self.btn_retry = tb("Retry", "Queue this job again")
        self.btn_up.clicked.connect(lambda: self.move_clicked.emit(self.job.id, -1))
        self.btn_down.clicked.connect(lambda: self.move_clicked.emit(self.job.id, 1))
        self.btn_cancel.clicked.connect(lambda: self.cancel_clicked.emit(self.job.id))
        self.btn_retry.clicked.connect(lambda: self.retry_clicked.emit(self.job.id))

        text = QVBoxLayout()
        text.setSpacing(3)
        text.addWidget(self.title)
        text.addWidget(self.status)
        text.addWidget(self.bar)
        buttons = QHBoxLayout()
        buttons.setSpacing(0)
        buttons.addStretch(1)
        for b in (self.btn_up, self.btn_down, self.btn_retry, self.btn_cancel):
            buttons.addWidget(b)
        text.addLayout(buttons)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.preview)
        lay.addLayout(text, 1)
        self.update_job(job, shot_label)

    def update_job(self, job: JobInfo, shot_label: str) -> None:
        self.job = job
        kind = KIND_NAMES.get(job.kind, job.kind.title())
        if job.payload.get("images") and job.kind == "generate":
            kind = "Image to video"
        if job.payload.get("rerender_of"):
            kind = "Full quality"  # a draft rendered again at full size and steps
        elif job.payload.get("draft"):
            kind = f"{kind} draft"
        self.title.setText(f"{kind} · {shot_label}" if shot_label else kind)
        prompt = str(job.payload.get("prompt") or "")
        self.title.set_extra_tooltip(f"Prompt: {prompt}" if prompt else "")
        running = job.status == "running"
        self.setProperty("running", "true" if running else "false")
        self.style().unpolish(self)
        self.style().polish(self)
        pending = job.status == "pending"
        self.btn_up.setVisible(pending)
        self.btn_down.setVisible(pending)
        self.btn_cancel.setVisible(pending or running)
        self.btn_retry.setVisible(job.status in ("failed", "canceled", "interrupted"))
        self.bar.setVisible(pending or running)
        if not running:
            self.progress_info = None
        self.bar.setValue(int(job.progress * 1000))
        if not self.preview_shown:
            self.preview.setText(
                {"pending": "queued", "done": "", "running": "…"}.get(job.status, "")
            )
        self._update_status()

    def set_progress(self, p: JobProgress) -> None:
        self.progress_info = p
        self.bar.setValue(int(1000 * p.step / max(1, p.total)))
        self._update_status()

    def set_picture(self, path: str) -> bool:
        """Show an image file (a finished job's take thumbnail) where the preview goes."""
        pm = QPixmap(path)
        if pm.isNull():
            return False
        self.preview.setPixmap(
            pm.scaled(
                PREVIEW,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.preview_shown = True
        return True

    def set_preview(self, rgb: Any) -> None:
        img = rgb_to_qimage(rgb).copy()
        pm = QPixmap.fromImage(img).scaled(
            PREVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.preview.setPixmap(pm)
        self.preview_shown = True

    def _update_status(self) -> None:
        job = self.job
        name = STATUS_NAMES.get(job.status, job.status)
        p = self.progress_info
        if job.status == "running" and p is not None:
            shown = p.stage and p.stage != "generate" and not p.stage.startswith(FARM_PREFIX)
            stage = f"{p.stage} " if shown else ""
            eta = format_eta(p.eta_s)
            text = f"Running {stage}{p.step}/{p.total}" + (f" · ETA {eta}" if eta else "")
        elif job.status == "failed":
            text = f"Failed: {job.message or 'no reason given'}"
        elif job.status in ("done", "canceled", "interrupted") and job.message:
            text = f"{name}: {job.message}" if job.status != "done" else f"Done · {job.message}"
        else:
            text = name
        where = farm_place(job, p)
        if where:
            text = f"{text} · {where}"
        self.status.setText(text)
        self.status.setToolTip(text)
