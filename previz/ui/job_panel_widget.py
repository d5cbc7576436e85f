"""The job queue: queued and running jobs with progress, ETA and a live preview; cancel, retry,
reorder. Generation runs on the runner thread; this panel only reads the queue and listens to
the bridge's signals (delivered on the GUI thread), repainting at most every ``FLUSH_MS``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from previz.core.errors import PrevizError
from previz.core.values import JobInfo
from previz.services.jobs import JobQueue
from previz.services.runner import JobProgress
from previz.ui.empty_state import EmptyState, shortcut_text
from previz.ui.errors import show_error
from previz.ui.job_row_widget import JobRowWidget

log = logging.getLogger(__name__)

FLUSH_MS = 100
KEEP_FINISHED = 20


class JobPanelWidget(QWidget):
    jobs_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.svc: Any = None
        self.runner: Any = None
        self.queue: JobQueue | None = None
        self.rows: dict[int, JobRowWidget] = {}
        self._labels: dict[int, str] = {}
        self._pending_progress: dict[int, JobProgress] = {}
        self._pending_preview: dict[int, Any] = {}
        self.header = QLabel("No jobs")
        self.header.setStyleSheet("color: #a0a0a0; padding: 4px 8px;")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #c29a5b; padding: 0 8px;")
        self.note.hide()
        self._box = QWidget()
        self._rows_layout = QVBoxLayout(self._box)
        self._rows_layout.setContentsMargins(6, 0, 6, 6)
        self._rows_layout.setSpacing(5)
        self.empty = EmptyState()
        self._rows_layout.addWidget(self.empty)
        self._rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._box)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.header)
        lay.addWidget(self.note)
        lay.addWidget(scroll, 1)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(0)
        self._reload_timer.timeout.connect(self.reload)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)

    def set_project(self, svc: Any, runner: Any) -> None:
        self.svc = svc
        self.runner = runner
        self.queue = JobQueue(svc) if svc is not None else None
        self._labels.clear()
        for row in self.rows.values():
            row.deleteLater()
        self.rows.clear()
        if svc is not None and runner is None:
            self.note.setText(
                "Another Previz window has this project open and runs its jobs; "
                "jobs you queue here run there."
            )
            self.note.show()
        else:
            self.note.hide()
        self.reload()

    # --- from the bridge (GUI thread) ---------------------------------------------------------

    def on_job_changed(self, job: JobInfo) -> None:
        self._reload_timer.start()

    def on_progress(self, p: JobProgress) -> None:
        self._pending_progress[p.job_id] = p
        if p.preview is not None:
            self._pending_preview[p.job_id] = p.preview
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self) -> None:
        progress, self._pending_progress = self._pending_progress, {}
        previews, self._pending_preview = self._pending_preview, {}
        missing = False
        for jid in set(progress) | set(previews):
            row = self.rows.get(jid)
            if row is None:
                # queued by another path and not listed yet: keep it for after the reload
                if jid in progress:
                    self._pending_progress[jid] = progress[jid]
                if jid in previews:
                    self._pending_preview[jid] = previews[jid]
                missing = True
                continue
            if jid in previews:
                row.set_preview(previews[jid])
            p = progress.get(jid)
            if p is None or row.job.status not in ("pending", "running"):
                continue  # a late event for a job that has already finished
            if row.job.status == "pending":
                job = row.job
                row.update_job(
                    JobInfo(
                        job.id,
                        job.kind,
                        "running",
                        job.shot_id,
                        None,
                        p.step / max(1, p.total),
                        "",
                        job.payload,
                    ),
                    self._label(job.shot_id),
                )
            row.set_progress(p)
        if missing:
            self._reload_timer.start()
            self._flush_timer.start()

    # --- model --------------------------------------------------------------------------------

    def _label(self, shot_id: int | None) -> str:
        if shot_id is None or self.svc is None:
            return ""
        if shot_id not in self._labels:
            try:
                self._labels[shot_id] = self.svc.shot(shot_id).label
            except PrevizError:
                self._labels[shot_id] = "(deleted shot)"
        return self._labels[shot_id]

    def jobs(self) -> list[JobInfo]:
        return [r.job for r in self._ordered_rows()]

    def _ordered_rows(self) -> list[JobRowWidget]:
        out = []
        for i in range(self._rows_layout.count()):
            w = self._rows_layout.itemAt(i).widget()
            if isinstance(w, JobRowWidget):
                out.append(w)
        return out

    def reload(self) -> None:
        if self.queue is None:
            self.header.setText("No project")
            self._show_empty(True)
            return
        all_jobs = self.queue.list(limit=200)
        active = [j for j in all_jobs if j.status in ("pending", "running")]
        active.sort(key=lambda j: (j.status != "running",))
        finished = [j for j in all_jobs if j.status not in ("pending", "running")]
        finished.sort(key=lambda j: -j.id)
        shown = active + finished[:KEEP_FINISHED]
        keep = {j.id for j in shown}
        for jid in list(self.rows):
            if jid not in keep:
                self.rows.pop(jid).deleteLater()
        for pos, job in enumerate(shown):
            row = self.rows.get(job.id)
            label = self._label(job.shot_id)
            if row is None:
                row = JobRowWidget(job, label)
                row.cancel_clicked.connect(self.cancel)
                row.retry_clicked.connect(self.retry)
                row.move_clicked.connect(self.move)
                self.rows[job.id] = row
            else:
                row.update_job(job, label)
            if job.status == "done" and job.take_id and not row.preview_shown:
                self._show_take_picture(row, job.take_id)
            self._rows_layout.insertWidget(pos, row)
        running = sum(1 for j in active if j.status == "running")
        queued = len(active) - running
        failed = sum(1 for j in finished[:KEEP_FINISHED] if j.status == "failed")
        parts = []
        if running:
            parts.append(f"{running} running")
        if queued:
            parts.append(f"{queued} queued")
        if failed:
            parts.append(f"{failed} failed")
        self.header.setText(" · ".join(parts) if parts else "No jobs running")
        self._show_empty(not shown)
        self.jobs_changed.emit()

    def _show_empty(self, empty: bool) -> None:
        """An empty queue says how jobs get here, with the window's real shortcuts."""
        if empty:
            if self.queue is None:
                text = "No project open — open or create one, then generate shots; their jobs show here"
            else:
                gen = f"Generate{shortcut_text(self, 'Generate')}"
                text = (
                    f"Queue is empty — select a shot and press {gen}; each job shows here "
                    "with its progress, a live preview and Cancel"
                )
            self.empty.setText(text)
        self.empty.setVisible(empty)

    def showEvent(self, event: Any) -> None:  # the window's actions exist once it is shown
        super().showEvent(event)
        if self.empty.isVisibleTo(self):
            self._show_empty(True)

    def _show_take_picture(self, row: JobRowWidget, take_id: int) -> None:
        try:
            thumb = self.svc.take_by_id(take_id).thumbnail
        except PrevizError:
            return
        if thumb:
            row.set_picture(str(Path(self.svc.folder) / thumb))

    # --- actions ------------------------------------------------------------------------------

    def cancel(self, job_id: int) -> None:
        try:
            if self.runner is not None:
                self.runner.cancel(job_id)
            elif self.queue is not None:
                self.queue.request_cancel(job_id)
        except Exception as exc:
            show_error(self, exc)
        self._reload_timer.start()

    def retry(self, job_id: int) -> None:
        if self.queue is None:
            return
        try:
            self.queue.retry(job_id)
        except Exception as exc:
            show_error(self, exc)
            return
        if self.runner is not None:
            self.runner.wake()
        self.reload()

    def move(self, job_id: int, delta: int) -> None:
        if self.queue is None:
            return
        pending = [j.id for j in self.queue.list(statuses=("pending",))]
        if job_id not in pending:
            return
        new = max(0, min(len(pending) - 1, pending.index(job_id) + delta))
        try:
            self.queue.move(job_id, new)
        except Exception as exc:
            show_error(self, exc)
        self.reload()

    def row(self, job_id: int) -> JobRowWidget | None:
        return self.rows.get(job_id)
