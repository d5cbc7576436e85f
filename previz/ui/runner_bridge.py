"""The one bridge between the job runner's thread and Qt.

The runner calls :class:`RunnerListener` methods on its own thread, and the project service
calls its change listeners on whichever thread made the change (the runner thread records new
takes). This QObject lives on the GUI thread; its methods only emit signals, and the UI connects
to those signals with queued connections (:func:`connect_queued`), so every slot runs on the GUI
thread and a burst of changes is handled in order, once the current slot has returned.

Progress is lightly throttled here (an engine may report thousands of steps a second): an event
is dropped when the last one for the same job went out under ``MIN_INTERVAL_S`` ago, unless it
carries a preview image or is the last step. The UI throttles its repaints further.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from previz.core.values import JobInfo, TakeInfo
from previz.services.runner import JobProgress, RunnerListener

MIN_INTERVAL_S = 0.03


class QtRunnerBridge(QObject, RunnerListener):
    job_updated = Signal(object)  # JobInfo: queued, started, finished, cancelled
    progress_updated = Signal(object)  # JobProgress (with a small RGB preview now and then)
    take_created = Signal(object)  # TakeInfo
    project_changed = Signal(object)  # previz.services.project.Change
    lock_taken = Signal()  # this app's runner took the queue over from another process

    def __init__(self, parent: QObject | None = None) -> None:
        QObject.__init__(self, parent)
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()
        self.dropped = 0

    # --- RunnerListener (called on the runner thread) -----------------------------------------

    def job_changed(self, job: JobInfo) -> None:
        with self._lock:
            self._last.pop(job.id, None)
        self.job_updated.emit(job)

    def job_progress(self, progress: JobProgress) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(progress.job_id, 0.0)
            final = progress.step >= progress.total
            if not final and progress.preview is None and now - last < MIN_INTERVAL_S:
                self.dropped += 1
                return
            self._last[progress.job_id] = now
        self.progress_updated.emit(progress)

    def take_added(self, take: TakeInfo) -> None:
        self.take_created.emit(take)

    def runner_lock_taken(self) -> None:
        self.lock_taken.emit()

    # --- ProjectService.subscribe (any thread) ------------------------------------------------

    def on_project_change(self, change: Any) -> None:
        self.project_changed.emit(change)


def connect_queued(signal: SignalInstance, slot: Callable[..., Any]) -> None:
    signal.connect(slot, Qt.ConnectionType.QueuedConnection)
